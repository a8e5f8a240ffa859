import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packedTarball, repo, run, runWithStderr } from "./packed";

/**
 * The two ways the README gives to install the package before it is on the registry: a tarball
 * made by `npm pack`, and a git URL (npm clones it and runs `prepare`, which builds dist/). Both
 * are real `npm install`s into a new project; packages come from npm's cache when it has them.
 */
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

function newProject(): string {
  const project = tempDir("idb-checkpoint-install-");
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", type: "module", private: true }));
  return project;
}

const npmInstall = (project: string, spec: string) =>
  runWithStderr("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", spec, "fake-indexeddb@^6"], project);

/** What an app does first: open the engine (Node, fake-indexeddb), save, reload, read back. */
function roundTrip(project: string): unknown {
  const out = run(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import "fake-indexeddb/auto";
      import { openEngine } from "idb-checkpoint/worker";
      import { openStore, jsonCodec } from "idb-checkpoint";
      const engine = await openEngine({ name: "installed" });
      await engine.threads.save("t", { via: "install" }, new Uint8Array([4, 5, 6]));
      const { state, meta } = await engine.threads.loadLatest("t");
      await engine.close();
      console.log(JSON.stringify([Array.from(state), meta.metadata, typeof openStore, jsonCodec().format]));`,
    ],
    project,
  );
  return JSON.parse(out.trim());
}

/** npm 11's listing of a non-registry package with a `prepare` script (README, Installation). */
const PREPARE_NOTICE = /install-scripts +idb-checkpoint@0\.1\.0 \(prepare: /;

/** npm warnings about idb-checkpoint itself; other packages' notices are not ours to fix. */
const ourWarnings = (stderr: string) => stderr.split("\n").filter((l) => /warn|ERR/i.test(l) && l.includes("idb-checkpoint"));

describe("installing the package before it is published", () => {
  it("npm install <tarball> gives a package whose entries import and work", () => {
    const project = newProject();
    const { stderr } = npmInstall(project, packedTarball());
    expect(readdirSync(join(project, "node_modules/idb-checkpoint/dist"))).toEqual(expect.arrayContaining(["index.js", "worker.js", "langgraph.js", "worker-script.js", "types"]));
    expect(roundTrip(project)).toEqual([[4, 5, 6], { via: "install" }, "function", "json"]);
    // npm 11 lists every non-registry package that has a `prepare` script, though it runs it
    // only for linked folders. The README says so and gives the command that records the
    // decision; after it, installing again is quiet.
    const notices = ourWarnings(stderr);
    expect(notices.filter((l) => !PREPARE_NOTICE.test(l))).toEqual([]);
    if (notices.length > 0) {
      run("npm", ["install-scripts", "approve", "idb-checkpoint"], project);
      expect(runWithStderr("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], project).stderr).not.toMatch(/warn/i);
    }
  }, 300_000);

  it("npm install git+file://<repository> runs prepare in npm's checkout and gives the built package", () => {
    // A repository holding this working tree as one commit: what a push of it would serve.
    const source = tempDir("idb-checkpoint-git-");
    const files = run("git", ["ls-files", "-co", "--exclude-standard"], repo).split("\n").filter(Boolean);
    for (const f of files) {
      try {
        mkdirSync(join(source, dirname(f)), { recursive: true });
        cpSync(join(repo, f), join(source, f));
      } catch {
        // A file deleted in the working tree but still listed by git: not part of the commit.
      }
    }
    const git = (...args: string[]) => run("git", ["-c", "user.name=test", "-c", "user.email=test@example.invalid", ...args], source);
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "snapshot");

    const project = newProject();
    const { stderr } = npmInstall(project, `git+file://${source}`);
    expect(readdirSync(join(project, "node_modules/idb-checkpoint/dist"))).toEqual(expect.arrayContaining(["index.js", "worker.js", "langgraph.js", "worker-script.js", "types"]));
    expect(roundTrip(project)).toEqual([[4, 5, 6], { via: "install" }, "function", "json"]);
    // The same single notice as for the tarball (see there), though here prepare did run.
    expect(ourWarnings(stderr).filter((l) => !PREPARE_NOTICE.test(l))).toEqual([]);
  }, 400_000);
});
