import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * The package as a user receives it, shared by the package tests: `npm pack` (whose `prepare`
 * builds dist/) once per content of what goes into the tarball, kept under node_modules/.cache so
 * the test files, and the next `npm test` when nothing changed, reuse it instead of building again.
 */
export const repo = resolve(import.meta.dirname, "../..");
export const cacheRoot = join(repo, "node_modules/.cache/idb-checkpoint-e2e");

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

/** Like run, but hands back stderr too: the install tests read npm's warnings there. */
export function runWithStderr(cmd: string, args: string[], cwd: string): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** What the built files are made of, hashed: the cache key (the README in the tarball may be older). */
function inputsHash(): string {
  const files = run("git", ["ls-files", "-co", "--exclude-standard", "src", "worker", "package.json", "vite.config.ts", "tsconfig.json", "tsconfig.build.json"], repo)
    .split("\n")
    .filter((f) => f && existsSync(join(repo, f)))
    .sort();
  const hash = createHash("sha256");
  for (const f of files) hash.update(f).update("\0").update(readFileSync(join(repo, f))).update("\0");
  return hash.digest("hex").slice(0, 16);
}

let memo: string | undefined;

/** The path of the packed tarball, built by `npm pack` when its inputs changed. */
export function packedTarball(): string {
  if (memo && existsSync(memo)) return memo;
  const key = `pack-${inputsHash()}`;
  const dir = join(cacheRoot, key);
  const done = join(dir, "tarball");
  if (!existsSync(done)) {
    mkdirSync(cacheRoot, { recursive: true });
    for (const old of readdirSync(cacheRoot)) if (old.startsWith("pack-")) rmSync(join(cacheRoot, old), { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const name = run("npm", ["pack", "--pack-destination", dir, "--silent"], repo).trim().split("\n").pop()!;
    writeFileSync(done, name);
  }
  memo = join(dir, readFileSync(done, "utf8").trim());
  return memo;
}

/** Unpacks the tarball into project/node_modules/idb-checkpoint, as npm would place it. */
export function unpackInto(project: string): string {
  const pkgDir = join(project, "node_modules", "idb-checkpoint");
  mkdirSync(pkgDir, { recursive: true });
  run("tar", ["-xzf", packedTarball(), "-C", pkgDir, "--strip-components=1"], project);
  return pkgDir;
}

/**
 * Links packages from this checkout into a project's node_modules instead of downloading them:
 * for tests that check our package, not the registry.
 */
export function linkDeps(project: string, deps: string[]): void {
  for (const dep of deps) {
    const target = join(project, "node_modules", dep);
    if (!existsSync(target)) symlinkSync(join(repo, "node_modules", dep), target, "dir");
  }
}
