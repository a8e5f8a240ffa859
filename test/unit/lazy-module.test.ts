import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import * as fflate from "fflate";
import { lazyModule } from "../../build/lazy-module";

/**
 * The build step that defers a dependency's top level to its first use (build/lazy-module.ts),
 * applied to fflate in the worker script: what it changes is when code runs, never what it does.
 */

const dir = mkdtempSync(join(tmpdir(), "lazy-module-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;

/** Runs the plugin's transform on `code` as the module `id`, and imports the result. */
async function transformed<T>(code: string, id: string, exports: string[]): Promise<T> {
  const plugin = lazyModule({ module: /\.js$/, exports });
  const transform = plugin.transform as (this: unknown, code: string, id: string) => { code: string } | null;
  const out = transform.call({ error: (message: string) => { throw new Error(message); } }, code, id);
  if (!out) throw new Error("not transformed");
  const file = join(dir, `m${++n}.mjs`);
  writeFileSync(file, out.code);
  return (await import(pathToFileURL(file).href)) as T;
}

/** The file the worker build bundles: fflate's browser build. */
const fflateSource = () => readFileSync(join(dirname(createRequire(import.meta.url).resolve("fflate/package.json")), "esm/browser.js"), "utf8");

describe("lazyModule (build step of the worker script)", () => {
  it("runs a module's top level on the first call of an export, once, not when the module is imported", async () => {
    const g = globalThis as { lazyRuns?: number };
    g.lazyRuns = 0;
    const m = await transformed<{ twice(x: number): number; name(): string }>(
      "globalThis.lazyRuns++;\nconst k = 2;\nexport function twice(x) { return k * x; }\nexport var name = function () { return 'n'; };\n",
      "synthetic.js",
      ["twice", "name"],
    );
    expect(g.lazyRuns).toBe(0);
    expect(m.twice(21)).toBe(42);
    expect(m.name()).toBe("n");
    expect(m.twice(1)).toBe(2);
    expect(g.lazyRuns).toBe(1);
  });

  it("gives fflate's deflateSync and inflateSync that round-trip what the package's own functions do", async () => {
    const lazy = await transformed<typeof fflate>(fflateSource(), "fflate/esm/browser.js", ["deflateSync", "inflateSync"]);
    const text = new TextEncoder().encode('{"messages":[{"role":"user","content":"hello"}]}'.repeat(200));
    const dictionary = new TextEncoder().encode('{"role":"user","content":"');
    const packed = lazy.deflateSync(text, { level: 6, dictionary });
    expect(Buffer.from(packed).equals(Buffer.from(fflate.deflateSync(text, { level: 6, dictionary })))).toBe(true);
    const back = lazy.inflateSync(packed, { out: new Uint8Array(text.length), dictionary });
    expect(Buffer.from(back).equals(Buffer.from(text))).toBe(true);
  });

  it("fails the build when an export to defer does not exist, or the module has a form it does not handle", async () => {
    await expect(transformed("export function a() {}\n", "x.js", ["b"])).rejects.toThrow(/no function b/);
    await expect(transformed("import x from 'y';\nexport function a() { return x; }\n", "x.js", ["a"])).rejects.toThrow(/does not handle/);
    await expect(transformed("export default function a() {}\n", "x.js", ["a"])).rejects.toThrow(/does not handle|no function a/);
  });
});
