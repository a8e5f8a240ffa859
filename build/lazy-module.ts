import type { Plugin } from "vite";

/**
 * Makes a dependency's top level run on first use instead of when the bundle loads. fflate builds
 * its Huffman and bit-reversal tables at module load (a loop of 32,768 steps, two of 32,769, more
 * of 512): several ms of a worker's start, before it can answer the page, for a codec that a
 * later visit's `openStore` never touches. A dynamic `import()` would defer it too, but as a
 * second file, and the worker script must stay one file (apps with a strict CSP copy it alone).
 *
 * The module's code is wrapped, unchanged, in a function; each named export becomes a function
 * that runs the wrapper once and forwards to the real export. Only functions can be exported
 * this way, and only the ones listed (the bundler still drops what they do not reach). Line and
 * column positions are kept (`export ` becomes seven spaces), so the module's source map holds.
 */
export function lazyModule(options: { module: RegExp; exports: string[] }): Plugin {
  return {
    name: "idb-checkpoint:lazy-module",
    transform(code, id) {
      if (!options.module.test(id)) return null;
      const body = code.replace(/^export \{[^}\n]*\};?/gm, (s) => " ".repeat(s.length)).replace(/^export (?=(?:async )?function\b|var\b|let\b|const\b|class\b)/gm, "       ");
      // Anything still importing or exporting is a form this wrapper does not handle.
      if (/^\s*(?:import|export)\b/m.test(body)) this.error(`${id}: an import or export this wrapper does not handle`);
      for (const name of options.exports) {
        if (!new RegExp(`^\\s*(?:function\\s+${name}\\b|var\\s+${name}\\s*=)`, "m").test(body)) this.error(`${id}: no function ${name} to export lazily`);
      }
      const exports = options.exports
        .map((name) => `export function ${name}() { return (loaded ??= load()).${name}.apply(this, arguments); }`)
        .join("\n");
      return {
        code: `let loaded; function load() {${body}\nreturn { ${options.exports.join(", ")} };\n}\n${exports}\n`,
        map: null,
      };
    },
  };
}
