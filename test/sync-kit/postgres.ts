import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A throwaway PostgreSQL cluster for a test file: initdb in a temporary folder, pg_ctl on a free
 * local port, trust authentication on 127.0.0.1 only. As root, PostgreSQL runs as the
 * `postgres` user (it refuses to run as root). Debian's `postgresql` package provides the binaries.
 */
export interface Postgres {
  url: string;
  port: number;
  stop(): void;
  start(): void;
  /** Stops (fast: cuts connections) and starts again on the same port and data. */
  restart(): void;
  destroy(): void;
}

function binDir(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, "initdb"))) return fromEnv;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, "bin/initdb"))) return join(root, v, "bin");
  throw new Error("PostgreSQL binaries not found: install Debian's postgresql package (.ci/run does) or set PG_BIN");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<Postgres> {
  const bin = binDir();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "idb-sync-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = idOf("postgres");
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const run = (cmd: string, args: string[]) => {
    const r = asRoot ? spawnSync("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { encoding: "utf8" }) : spawnSync(join(bin, cmd), args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const start = () => run("pg_ctl", ["-D", data, "-w", "-t", "60", "-l", join(dir, "log"), "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);
  const stop = () => run("pg_ctl", ["-D", data, "-w", "-t", "60", "-m", "fast", "stop"]);
  start();
  let stopped = false;
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    start() {
      start();
      stopped = false;
    },
    stop() {
      stop();
      stopped = true;
    },
    restart() {
      stop();
      start();
    },
    destroy() {
      try {
        if (!stopped) stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function idOf(user: string): { uid: number; gid: number } {
  const uid = Number(spawnSync("id", ["-u", user], { encoding: "utf8" }).stdout.trim());
  const gid = Number(spawnSync("id", ["-g", user], { encoding: "utf8" }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`no user ${user} to run PostgreSQL as`);
  return { uid, gid };
}
