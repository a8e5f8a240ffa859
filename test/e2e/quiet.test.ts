import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { build, createLogger, resolveConfig, type Logger } from "vite";
import { repo } from "./packed";

/**
 * No warning a user would have to learn to ignore: the demo builds with Vite's own chunk-size
 * limit in force and prints nothing at the warn level. Every warning Vite or Rollup would print
 * is collected here instead, so a new one fails this test rather than scrolling past.
 */
const configFile = join(repo, "demo/vite.config.ts");
const outDir = mkdtempSync(join(tmpdir(), "idb-checkpoint-demo-build-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("the demo build", () => {
  it("keeps Vite's default chunk-size limit", async () => {
    const config = await resolveConfig({ configFile, logLevel: "silent" }, "build");
    expect(config.build.chunkSizeWarningLimit).toBe(500);
  });

  it("prints no warning: no chunk over the limit, no Rollup notice", async () => {
    const warnings: string[] = [];
    const base = createLogger("warn");
    const logger: Logger = {
      ...base,
      warn: (msg) => void warnings.push(msg),
      warnOnce: (msg) => void warnings.push(msg),
      error: (msg) => void warnings.push(`error: ${msg}`),
    };
    await build({ configFile, customLogger: logger, logLevel: "warn", build: { outDir, emptyOutDir: true } });
    expect(warnings).toEqual([]);
    const assets = readdirSync(join(outDir, "assets")).filter((f) => f.endsWith(".js"));
    expect(assets.length).toBeGreaterThan(1);
    for (const f of assets) expect(statSync(join(outDir, "assets", f)).size, f).toBeLessThan(500 * 1000);
  }, 300_000);
});
