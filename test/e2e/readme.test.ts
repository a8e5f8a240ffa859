import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { linkDeps, repo, run, unpackInto } from "./packed";

/**
 * Docs that cannot rot: every ```ts block of README.md is written to a file of its own in a new
 * project that has the packed package installed, and compiled there by tsc, strict, importing
 * the package by name, with nothing declared for it: types are inferred as a user's would be.
 * An error is reported at its README line.
 */
const readme = readFileSync(join(repo, "README.md"), "utf8");

interface Block {
  line: number; // README line of the block's first code line
  code: string;
}

function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\b/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end].startsWith("```")) end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end).join("\n") });
    i = end;
  }
  return blocks;
}

let project: string | undefined;
afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("README.md", () => {
  const blocks = tsBlocks(readme);

  it("has its code examples as ts blocks", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    // Written `typescript` a block would silently escape the check below.
    expect(readme).not.toMatch(/^```typescript\b/m);
  });

  it("every ```ts block compiles against the packed package, strict", () => {
    project = mkdtempSync(join(tmpdir(), "idb-checkpoint-readme-"));
    unpackInto(project);
    linkDeps(project, ["idb", "comlink", "fflate", "fake-indexeddb", "@langchain", "vite", "typescript", "@types", "undici-types", "playwright", "playwright-core"]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "readme", type: "module", private: true }));
    const files = blocks.map((b) => `readme-line-${b.line}.ts`);
    // Each block is a module of its own (top-level await, no names shared between blocks).
    blocks.forEach((b, i) => writeFileSync(join(project!, files[i]), `${b.code}\nexport {};\n`));
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "es2022", module: "esnext", moduleResolution: "bundler", lib: ["es2022", "dom", "dom.iterable"], strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files,
      }),
    );
    let out = "";
    try {
      run(process.execPath, [join(project, "node_modules/typescript/bin/tsc"), "-p", project, "--pretty", "false"], project);
    } catch (e) {
      out = (e as Error).message;
    }
    const errors = out
      .split("\n")
      .filter((l) => /error TS/.test(l))
      .map((l) => l.replace(/^readme-line-(\d+)\.ts\((\d+),(\d+)\)/, (_, start, line, col) => `README.md:${Number(start) + Number(line) - 1}:${col}`));
    expect(errors).toEqual([]);
  });
});
