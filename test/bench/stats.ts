import { commands } from "vitest/browser";
import { engine } from "../engines/engine";

/** Timing helpers and reporting shared by the benchmarks. */

export interface Summary {
  n: number;
  median: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return {
    n: s.length,
    median: at(0.5),
    p95: at(0.95),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    min: s[0],
    max: s[s.length - 1],
  };
}

/** Runs `fn` `warmup` times untimed, then `runs` times, and returns each run's milliseconds. */
export async function sample(runs: number, fn: (i: number) => Promise<unknown>, warmup = 3): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/**
 * Times two calls that are to be compared, one after the other and in turns (a, b, then b, a),
 * so that drift on a busy machine hits both alike. The first `warmup` rounds are not kept.
 */
export async function samplePair(
  runs: number,
  a: (i: number) => Promise<unknown>,
  b: (i: number) => Promise<unknown>,
  warmup = 3,
): Promise<[number[], number[]]> {
  const times: [number[], number[]] = [[], []];
  const timed = async (which: 0 | 1, i: number) => {
    const t = performance.now();
    await (which === 0 ? a : b)(i);
    times[which].push(performance.now() - t);
  };
  for (let i = 0; i < runs + warmup; i++) {
    const first = (i % 2) as 0 | 1;
    await timed(first, i);
    await timed((1 - first) as 0 | 1, i);
  }
  return [times[0].slice(warmup), times[1].slice(warmup)];
}

export const round = (x: number, digits = 2) => Number(x.toFixed(digits));
export const ratio = (a: number, b: number) => round(a / b, 2);
export const MiB = 1024 * 1024;

/** Prints rows as an aligned text table. */
export function printTable(title: string, rows: Array<Record<string, unknown>>): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const cells = rows.map((r) => cols.map((c) => String(r[c] ?? "")));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i])).join("  ");
  console.log([`\n${title} [${engine}]`, line(cols), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n"));
}

/** Writes one benchmark's figures to test/bench/results/<name>.json (ignored by git). */
export async function writeResults(name: string, data: unknown): Promise<void> {
  const body = { name, engine, at: new Date().toISOString(), userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, data };
  // Chromium's results keep their names (the README's main figures); other engines' sit beside them.
  const file = engine === "chromium" ? name : `${name}.${engine}`;
  await commands.writeFile(`test/bench/results/${file}.json`, JSON.stringify(body, null, 2) + "\n");
}

/** Seeded text from a fixed 3000-word vocabulary: compresses like chat text, not like repeats. */
export function makeText(seed = 42) {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const vocab = Array.from({ length: 3000 }, () =>
    Array.from({ length: 2 + Math.floor(rnd() * 8) }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join(""),
  );
  const words = (n: number) => Array.from({ length: n }, () => vocab[Math.floor(rnd() * vocab.length)]).join(" ");
  const bytes = (size: number) => {
    const parts: string[] = [];
    let len = 0;
    while (len < size) {
      const w = vocab[Math.floor(rnd() * vocab.length)];
      parts.push(w);
      len += w.length + 1;
    }
    return new TextEncoder().encode(parts.join(" ")).slice(0, size);
  };
  return { words, bytes };
}

export const uniqueDb = (prefix: string) => `bench-${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

declare module "vitest/browser" {
  interface BrowserCommands {
    /** test/bench/worker-heap.ts: JS heap in use of each dedicated worker, after a garbage collection. */
    workerHeap(): Promise<Array<{ title: string; usedBytes: number; totalBytes: number }>>;
  }
}

/** Heap in use of the page's workers whose name contains `name` (a store's worker is named after its database). */
export async function workerHeaps(name: string): Promise<Array<{ title: string; usedMiB: number }>> {
  if (engine !== "chromium") {
    console.log(`[bench] worker heap not measured in ${engine}: it is read over the Chrome DevTools Protocol`);
    return [];
  }
  const all = await commands.workerHeap();
  return all.filter((w) => w.title.includes(name)).map((w) => ({ title: w.title, usedMiB: round(w.usedBytes / MiB, 2) }));
}
