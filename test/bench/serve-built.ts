import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { Plugin } from "vite";

/**
 * Serves the build (dist/) to the bench's page byte for byte, as an app's server ships it. Vite's
 * dev server treats a .js file as a module to transform: it would inline the worker script's
 * source map (107 KB of code grows to 914 KB), which the browser fetches and scans before the
 * worker starts, and which no app serves.
 */
export function serveBuilt(root: string): Plugin {
  const dist = join(root, "dist");
  return {
    name: "idb-checkpoint:serve-built",
    configureServer(server) {
      server.middlewares.use("/dist/", (req, res, next) => {
        const file = normalize(join(dist, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
        if (!file.startsWith(dist + sep)) return next();
        readFile(file).then(
          (body) => {
            res.setHeader("content-type", extname(file) === ".js" ? "text/javascript" : "application/octet-stream");
            res.setHeader("cache-control", "no-cache");
            res.end(body);
          },
          () => next(),
        );
      });
    },
  };
}
