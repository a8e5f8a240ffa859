import { settled, type ReadTx, type WriteTx } from "../db.js";
import { crc32Combine } from "./chunk-hash.js";
import { identity, type TreeEntry } from "./chunk-tree.js";
import { CHUNK, MAX_CHAIN, NODE, REFS, checkEntry, integrity, prefixOf, type ChunkRow, type Entry, type NodeRow, type RefRow } from "./chunk-rows.js";
import { orderedWindow, type BlobRequests } from "./request-window.js";

/**
 * Reference counting over the rows of chunked payloads (chunk-rows.ts). Every operation walks
 * the tree one level at a time with all of a level's requests in parallel, so a payload costs a
 * few round trips whatever its size.
 */

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
 *
 * The walk needs the rows of a level before it knows which entries of the level below to read,
 * a round trip per level. So the rows it will probably need are asked for at once, up front:
 * every top entry, and below each entry `likelyStored` does not vouch for (a new node: its
 * entries), down to the chunks and the bases of their deltas. A guess that misses only costs
 * the request it would have made anyway.
 */
export async function storeTree(
  tx: WriteTx,
  top: TreeEntry[],
  chunkRow: (e: TreeEntry) => ChunkRow,
  likelyStored: (e: TreeEntry) => boolean = () => false,
  window = Infinity,
): Promise<Entry[]> {
  // In a window (WebKit: request-window.ts), the walk's requests are made in the order asked,
  // and all of them are answered before it resolves, so a later operation's requests come after.
  const store = tx.objectStore("blobs");
  const blobs: BlobRequests = window === Infinity ? store : orderedWindow(store, window);
  const prefetched = new Map<string, Promise<RefRow | undefined>>();
  const prefetch = (key: string) => {
    if (prefetched.has(key)) return;
    // A guess may never be read; its failure is the transaction's, reported by what is awaited.
    const row = blobs.get(key) as Promise<RefRow | undefined>;
    settled(row);
    prefetched.set(key, row);
  };
  const visit = (e: TreeEntry) => {
    prefetch(prefixOf(e.level) + e.name);
    if (e.level === 0 && e.delta) prefetch(REFS + e.delta.base.name);
    if (e.level > 0 && !likelyStored(e)) e.kids!.forEach(visit);
  };
  top.forEach(visit);
  // Each key is read before this walk writes it (a level's rows are read before any of its
  // writes, and levels do not share keys), so the early answers are still current.
  const read = (key: string) => prefetched.get(key) ?? (blobs.get(key) as Promise<RefRow | undefined>);
  const keys = new Map<string, string>();
  const claimed = new Set<string>();
  const newNodes: Array<{ key: string; e: TreeEntry; refs: number }> = [];
  const deltas: Array<{ key: string; e: TreeEntry; refs: number }> = [];
  const writes: Promise<unknown>[] = [];
  const entry = (e: TreeEntry): Entry => [keys.get(identity(e))!, e.raw, e.crc];
  try {
    await walk();
  } catch (e) {
    // The walk stopped at a failed request; the writes it made are not waited for any more.
    writes.forEach(settled);
    throw e;
  }
  if (window === Infinity) writes.forEach(settled);
  else await Promise.all(writes);
  return top.map(entry);

  async function walk(): Promise<void> {
    let level = new Map<string, { item: TreeEntry; n: number }>();
    for (const e of top) tally(level, identity(e), e);
    while (level.size > 0) {
      const items = [...level.values()];
      const first = await Promise.all(items.map(({ item }) => read(prefixOf(item.level) + item.name)));
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
            if (e.level === 0 && e.delta) {
              deltas.push({ key, e, refs: n });
            } else if (e.level === 0) {
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
    await storeDeltas(blobs, deltas, claimed, chunkRow, writes, read);
    for (const { key, e, refs } of newNodes) {
      const row: NodeRow = { refs, raw: e.raw, crc: e.crc, level: e.level, kids: e.kids!.map(entry) };
      writes.push(blobs.put(row, NODE + key));
    }
  }
}

/**
 * Writes the new chunks that encode proposed as deltas. Each base must be stored, whole or as a
 * short enough chain: a base already stored gains one reference per delta; a base no longer
 * stored (freed since this worker saw it) is written whole from the bytes encode kept. A delta
 * whose base is taken by a different content, or whose chain would grow past MAX_CHAIN, is
 * written whole instead.
 */
async function storeDeltas(
  blobs: BlobRequests,
  deltas: Array<{ key: string; e: TreeEntry; refs: number }>,
  claimed: Set<string>,
  chunkRow: (e: TreeEntry) => ChunkRow,
  writes: Promise<unknown>[],
  read: (key: string) => Promise<RefRow | undefined>,
): Promise<void> {
  if (deltas.length === 0) return;
  const bases = new Map<string, TreeEntry>();
  for (const { e } of deltas) bases.set(e.delta!.base.name, e.delta!.base);
  const names = [...bases.keys()];
  // A base this walk wrote is claimed and not used below, so a row read before that write is
  // never acted on.
  const rows = await Promise.all(names.map((name) => read(REFS + name)));
  const state = new Map<string, { row: RefRow; fresh: boolean; gained: number } | null>();
  names.forEach((name, i) => {
    const base = bases.get(name)!;
    const row = rows[i];
    if (claimed.has(REFS + name)) state.set(name, null);
    else if (row && row.raw === base.raw && row.crc === base.crc && (row.depth ?? 0) < MAX_CHAIN) state.set(name, { row, fresh: false, gained: 0 });
    else if (!row) state.set(name, { row: { refs: 0, raw: base.raw, crc: base.crc }, fresh: true, gained: 0 });
    else state.set(name, null);
  });
  for (const { key, e, refs } of deltas) {
    const { base, keep, packed } = e.delta!;
    const s = state.get(base.name);
    if (!s) {
      writes.push(blobs.put(chunkRow({ ...e, delta: undefined }), CHUNK + key), blobs.put({ refs, raw: e.raw, crc: e.crc } satisfies RefRow, REFS + key));
      continue;
    }
    s.gained++;
    const depth = (s.row.depth ?? 0) + 1;
    const row: ChunkRow = { codec: packed.codec, raw: e.raw, crc: e.crc, data: packed.data, base: [base.name, base.raw, base.crc], keep };
    writes.push(blobs.put(row, CHUNK + key), blobs.put({ refs, raw: e.raw, crc: e.crc, base: base.name, depth } satisfies RefRow, REFS + key));
  }
  for (const [name, s] of state) {
    if (!s || s.gained === 0) continue;
    if (s.fresh) writes.push(blobs.put(chunkRow(bases.get(name)!), CHUNK + name));
    writes.push(blobs.put({ ...s.row, refs: s.row.refs + s.gained }, REFS + name));
    claimed.add(REFS + name);
  }
}

/**
 * Drops one reference per occurrence of each entry (of level `level`); what no one refers to any
 * more is deleted, and a deleted node's entries lose a reference on the level below, a deleted
 * delta's base one more on level 0. Resolves with the keys of the chunks deleted. With `owed`,
 * counts that stay above zero are listed there instead of written.
 */
export async function releaseTree(tx: WriteTx, level: number, top: Entry[], owed?: Array<[level: number, key: string, count: number]>): Promise<string[]> {
  const blobs = tx.objectStore("blobs");
  const freed: string[] = [];
  let current = new Map<string, number>();
  for (const [key] of top) current.set(key, (current.get(key) ?? 0) + 1);
  // Level 0 repeats while freed deltas free their bases: at most MAX_CHAIN more rounds, so a
  // tampered cycle of bases cannot loop forever.
  for (let baseRounds = 0; current.size > 0 && level >= 0 && baseRounds <= MAX_CHAIN + 1; ) {
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
        // A transaction that may only delete leaves the count to be lowered later (owed-refs.ts).
        if (owed) owed.push([level, key, n]);
        else ops.push(blobs.put({ ...row, refs: row.refs - n }, prefix + key));
        return;
      }
      ops.push(blobs.delete(prefix + key));
      if (level === 0) {
        ops.push(blobs.delete(CHUNK + key));
        freed.push(key);
        if (typeof row.base === "string") below.set(row.base, (below.get(row.base) ?? 0) + 1);
      } else if (Array.isArray(row.kids)) {
        for (const [k] of row.kids) below.set(k, (below.get(k) ?? 0) + 1);
      }
    });
    await Promise.all(ops);
    current = below;
    if (level > 0) level--;
    else baseRounds++;
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
