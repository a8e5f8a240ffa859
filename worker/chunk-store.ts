import { StoreError } from "../src/errors.js";
import type { ReadTx, WriteTx } from "./db.js";
import { crc32Combine } from "./chunk-hash.js";
import { identity, type TreeEntry } from "./chunk-tree.js";

/**
 * Rows of chunked payloads in `blobs`, and reference counting over them. Every operation walks
 * the tree one level at a time with all of a level's requests in parallel, so a payload costs a
 * few round trips whatever its size.
 *   c:<key>  chunk bytes {codec, raw, crc, data}
 *   r:<key>  chunk reference count {refs, raw, crc}, apart from the bytes so that counting never
 *            reads or rewrites them
 *   n:<key>  node {refs, raw, crc, level, kids}: a run of entries of the level below
 * An entry is [key, raw length, CRC-32 of the bytes it covers]. A key is a content name; should
 * two different contents ever share a name, the later one is stored under <name>~1 (~2, ...):
 * a row is reused only when its length and CRC (and, for nodes, level and entries) match.
 */

export type Entry = [key: string, raw: number, crc: number];

export interface ChunkRow {
  /** 0 = stored raw, 1 = deflate. */
  codec: 0 | 1;
  /** Raw length: bounds the inflate buffer, so a tampered row cannot inflate past it. */
  raw: number;
  /** CRC-32 of the raw bytes, checked on every read. */
  crc: number;
  data: Uint8Array;
}

interface RefRow {
  refs: number;
  raw: number;
  crc: number;
}

interface NodeRow extends RefRow {
  level: number;
  kids: Entry[];
}

export const CHUNK = "c:";
const REFS = "r:";
const NODE = "n:";

const prefixOf = (level: number) => (level === 0 ? REFS : NODE);

function matches(row: RefRow | NodeRow, e: TreeEntry): boolean {
  if (row.raw !== e.raw || row.crc !== e.crc) return false;
  if (e.level === 0) return true;
  const node = row as NodeRow;
  return node.level === e.level && Array.isArray(node.kids) && node.kids.length === e.kids!.length && node.kids.every((k, i) => k[1] === e.kids![i].raw && k[2] === e.kids![i].crc);
}

function tally<T>(into: Map<string, { item: T; n: number }>, id: string, item: T): void {
  const t = into.get(id);
  if (t) t.n++;
  else into.set(id, { item, n: 1 });
}

/**
 * Adds one reference per occurrence to each top entry. An entry already stored only gains a
 * reference (a shared node stands for every chunk below it); a new one is written, and its own
 * entries are counted on the next level down. Resolves with the top entries' keys.
 */
export async function storeTree(tx: WriteTx, top: TreeEntry[], chunkRow: (e: TreeEntry) => ChunkRow): Promise<Entry[]> {
  const blobs = tx.objectStore("blobs");
  const keys = new Map<string, string>();
  const claimed = new Set<string>();
  const newNodes: Array<{ key: string; e: TreeEntry; refs: number }> = [];
  const writes: Promise<unknown>[] = [];
  let level = new Map<string, { item: TreeEntry; n: number }>();
  for (const e of top) tally(level, identity(e), e);
  while (level.size > 0) {
    const items = [...level.values()];
    const first = await Promise.all(items.map(({ item }) => blobs.get(prefixOf(item.level) + item.name) as Promise<RefRow | undefined>));
    const below = new Map<string, { item: TreeEntry; n: number }>();
    for (const [i, { item: e, n }] of items.entries()) {
      const prefix = prefixOf(e.level);
      for (let probe = 0; ; probe++) {
        const key = probe === 0 ? e.name : `${e.name}~${probe}`;
        if (claimed.has(prefix + key)) continue;
        const row = probe === 0 ? first[i] : ((await blobs.get(prefix + key)) as RefRow | undefined);
        if (row && matches(row, e)) {
          writes.push(blobs.put({ ...row, refs: row.refs + n }, prefix + key));
        } else if (!row) {
          if (e.level === 0) {
            writes.push(blobs.put(chunkRow(e), CHUNK + key), blobs.put({ refs: n, raw: e.raw, crc: e.crc } satisfies RefRow, REFS + key));
          } else {
            newNodes.push({ key, e, refs: n });
            for (const k of e.kids!) tally(below, identity(k), k);
          }
        } else {
          continue;
        }
        claimed.add(prefix + key);
        keys.set(identity(e), key);
        break;
      }
    }
    level = below;
  }
  const entry = (e: TreeEntry): Entry => [keys.get(identity(e))!, e.raw, e.crc];
  for (const { key, e, refs } of newNodes) {
    const row: NodeRow = { refs, raw: e.raw, crc: e.crc, level: e.level, kids: e.kids!.map(entry) };
    writes.push(blobs.put(row, NODE + key));
  }
  await Promise.all(writes);
  return top.map(entry);
}

/**
 * Drops one reference per occurrence of each entry (of level `level`); what no one refers to any
 * more is deleted, and a deleted node's entries lose a reference on the level below. Resolves
 * with the keys of the chunks deleted.
 */
export async function releaseTree(tx: WriteTx, level: number, top: Entry[]): Promise<string[]> {
  const blobs = tx.objectStore("blobs");
  const freed: string[] = [];
  let current = new Map<string, number>();
  for (const [key] of top) current.set(key, (current.get(key) ?? 0) + 1);
  for (; current.size > 0 && level >= 0; level--) {
    const prefix = prefixOf(level);
    const keys = [...current.keys()];
    const rows = await Promise.all(keys.map((k) => blobs.get(prefix + k) as Promise<NodeRow | undefined>));
    const below = new Map<string, number>();
    const ops: Promise<unknown>[] = [];
    keys.forEach((key, i) => {
      const n = current.get(key)!;
      const row = rows[i];
      if (!row) return;
      if (row.refs > n) {
        ops.push(blobs.put({ ...row, refs: row.refs - n }, prefix + key));
        return;
      }
      ops.push(blobs.delete(prefix + key));
      if (level === 0) {
        ops.push(blobs.delete(CHUNK + key));
        freed.push(key);
      } else if (Array.isArray(row.kids)) {
        for (const [k] of row.kids) below.set(k, (below.get(k) ?? 0) + 1);
      }
    });
    await Promise.all(ops);
    current = below;
  }
  return freed;
}

/**
 * The chunk entries under the top entries, in order. Every node is checked against the entry
 * that points at it (level, length, CRC) and against its own entries (their lengths and CRCs
 * must add up to its own), so a damaged tree is INTEGRITY, and lengths bound every allocation.
 */
export async function readTree(tx: ReadTx, level: number, top: Entry[], what: string): Promise<Entry[]> {
  const blobs = tx.objectStore("blobs");
  let entries = top;
  for (; level > 0; level--) {
    const unique = [...new Set(entries.map((e) => e[0]))];
    const rows = await Promise.all(unique.map((k) => blobs.get(NODE + k) as Promise<NodeRow | undefined>));
    const byKey = new Map(unique.map((k, i) => [k, rows[i]]));
    const out: Entry[] = [];
    for (const [key, raw, crc] of entries) {
      const row = byKey.get(key);
      if (!row || row.level !== level || row.raw !== raw || row.crc !== crc || !Array.isArray(row.kids)) {
        throw integrity(`payload ${what}: node ${key} is missing or not the one it lists`);
      }
      let sum = 0;
      let c = 0;
      for (const kid of row.kids) {
        checkEntry(kid, what);
        sum += kid[1];
        c = crc32Combine(c, kid[2], kid[1]);
        out.push(kid);
      }
      if (sum !== raw || c !== crc) throw integrity(`payload ${what}: node ${key} does not add up`);
    }
    entries = out;
  }
  return entries;
}

export function checkEntry(e: unknown, what: string): asserts e is Entry {
  if (!Array.isArray(e) || typeof e[0] !== "string" || !Number.isSafeInteger(e[1]) || e[1] <= 0 || !Number.isInteger(e[2])) {
    throw integrity(`payload ${what} has a malformed chunk list`);
  }
}

export function integrity(message: string, cause?: unknown): StoreError {
  return new StoreError("INTEGRITY", message, { cause, retryable: false });
}
