import type { EngineContext } from "./context.js";
import { keysAndValues, type StoreName } from "./db.js";
import { blobLinks } from "./payload/index.js";
import { assertId, describe } from "../src/validate.js";
import { invalid } from "../src/errors.js";
import type { StoreUsage, ThreadUsage, UsageOptions } from "../src/usage.js";

export type { StoreUsage, ThreadUsage, UsageOptions, UsageTotal } from "../src/usage.js";

/**
 * Usage figures from one read transaction over the three object stores, each read once.
 *
 * A row belongs to a thread when its key names it: ["t", kind, thread, ...] (thread checkpoints),
 * ["s", kind, thread, ...] and ["s", "gi", id, thread, ns] (saver), ["e", "turn", thread, ...]
 * in meta and ["e", thread, ...] in events (turns). Runs ("r") and blob traces ("b") belong to no
 * thread and count in the total only. A payload reference inside a row ([raw size, crc, key or
 * bytes, codec?]) adds its raw size, and the `blobs` rows it leads to (worker/payload/chunk-rows.ts's
 * blobLinks), each once per thread.
 *
 * Bytes of a row are counted from its contents (byte arrays, strings, 8 per number, key names);
 * the browser's own files add their overhead and compression, which `estimate` shows.
 */
export async function measureUsage(ctx: EngineContext, options: UsageOptions = {}): Promise<StoreUsage> {
  if (typeof options !== "object" || options === null) throw invalid("usage's options must be an object");
  for (const key of Object.keys(options)) if (key !== "threadIds") throw invalid(`unknown usage option "${key}"`);
  const wanted = options.threadIds;
  if (wanted !== undefined) {
    if (!Array.isArray(wanted)) throw invalid(`threadIds must be an array of strings, got ${describe(wanted)}`);
    wanted.forEach((id, i) => assertId(id, `threadIds[${i}]`));
  }
  // Rows a save wrote raw for idle-time compression are compressed first: usage reports what
  // the store keeps, not what it is about to shrink.
  await ctx.payloads.settle();
  const stores: StoreName[] = ["meta", "events", "blobs"];
  const [rows, estimate] = await Promise.all([
    ctx.db.read(stores, (tx) => Promise.all(stores.map(async (s) => {
      const store = tx.objectStore(s);
      return keysAndValues(store);
    })), "measuring usage"),
    browserEstimate(),
  ]);
  const [meta, events, blobs] = rows;

  const blobRows = new Map<string, unknown>();
  const blobSize = new Map<string, number>();
  let totalStored = 0;
  let totalRaw = 0;
  blobs.keys.forEach((key, i) => {
    if (typeof key !== "string") return;
    blobRows.set(key, blobs.values[i]);
    const size = key.length + sizeOf(blobs.values[i], []);
    blobSize.set(key, size);
    totalStored += size;
  });

  const tallies = new Map<string, { rows: number; raw: number; stored: number; refs: Ref[] }>();
  const tally = (owner: string) => {
    let t = tallies.get(owner);
    if (!t) tallies.set(owner, (t = { rows: 0, raw: 0, stored: 0, refs: [] }));
    return t;
  };
  for (const [part, owner] of [[meta, metaOwner], [events, eventOwner]] as const) {
    part.keys.forEach((key, i) => {
      const refs: Ref[] = [];
      const own = sizeOf(key, []) + sizeOf(part.values[i], refs);
      totalStored += own;
      totalRaw += own + refs.reduce((sum, r) => sum + r.size, 0);
      const thread = owner(key);
      if (thread === undefined || (wanted && !wanted.includes(thread))) return;
      const t = tally(thread);
      t.rows++;
      t.raw += own;
      t.stored += own;
      t.refs.push(...refs);
    });
  }

  const ids = wanted ? [...new Set(wanted)].sort() : [...tallies.keys()].sort();
  const threads = ids.map((threadId): ThreadUsage => {
    const t = tallies.get(threadId);
    if (!t) return { threadId, rows: 0, raw: 0, stored: 0 };
    const seen = new Set<string>();
    for (const ref of t.refs) {
      t.raw += ref.size;
      if (ref.where instanceof Uint8Array) continue; // already counted in its row
      const stack = [ref.where];
      while (stack.length) {
        const key = stack.pop()!;
        if (seen.has(key) || !blobRows.has(key)) continue;
        seen.add(key);
        t.stored += blobSize.get(key) ?? 0;
        stack.push(...blobLinks(key, blobRows.get(key)));
      }
    }
    return { threadId, rows: t.rows, raw: t.raw, stored: t.stored };
  });
  return {
    threads,
    total: { rows: meta.keys.length + events.keys.length + blobs.keys.length, raw: totalRaw, stored: totalStored },
    ...(estimate ? { estimate } : {}),
  };
}

function metaOwner(key: IDBValidKey): string | undefined {
  if (!Array.isArray(key)) return undefined;
  const [contract, kind] = key;
  if (contract === "t" || contract === "e") return str(key[2]);
  if (contract === "s") return str(kind === "gi" ? key[3] : key[2]);
  return undefined;
}

function eventOwner(key: IDBValidKey): string | undefined {
  return Array.isArray(key) && key[0] === "e" ? str(key[1]) : undefined;
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

/** A payload reference found in a row: its raw size and where its bytes are. */
interface Ref {
  size: number;
  where: string | Uint8Array;
}

/** worker/payload.ts's PayloadRef: [size, crc, key or inline bytes, codec?]. */
function asRef(value: unknown[]): Ref | undefined {
  const [size, crc, where, codec] = value;
  const shaped = (value.length === 3 || (value.length === 4 && (codec === 1 || codec === 2))) && Number.isSafeInteger(size) && typeof crc === "number";
  return shaped && (typeof where === "string" || where instanceof Uint8Array) ? { size: size as number, where } : undefined;
}

/** Bytes of a value as stored; collects the payload references inside it (their own bytes count). */
function sizeOf(value: unknown, refs: Ref[]): number {
  if (value instanceof Uint8Array) return value.byteLength;
  // Other views (a memory block's vectors and norms) and Blobs count their bytes, not their elements.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
  if (typeof Blob === "function" && value instanceof Blob) return value.size;
  if (typeof value === "string") return value.length;
  if (typeof value === "number" || typeof value === "bigint") return 8;
  if (typeof value === "boolean") return 1;
  if (Array.isArray(value)) {
    const ref = asRef(value);
    if (ref) refs.push(ref);
    // A reference's own bytes (its numbers, key or inline payload) are part of the row.
    return value.reduce((sum: number, v) => sum + sizeOf(v, ref ? [] : refs), 0);
  }
  if (value && typeof value === "object") {
    let sum = 0;
    for (const [k, v] of Object.entries(value)) sum += k.length + sizeOf(v, refs);
    return sum;
  }
  return 0;
}

async function browserEstimate(): Promise<{ usage: number; quota: number } | undefined> {
  const storage = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<StorageEstimate> } } }).navigator?.storage;
  if (typeof storage?.estimate !== "function") return undefined;
  try {
    const e = await storage.estimate();
    return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
  } catch {
    return undefined;
  }
}
