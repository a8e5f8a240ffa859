import { crc32Combine, nameOfString } from "./chunk-hash.js";
import type { Codec } from "./chunk-rows.js";

/**
 * The chunk list of a payload as a tree, so that versions share the list too, not only the
 * chunks. A flat list grows with the payload, and storing it again for every version of a
 * growing state (a chat) costs space quadratic in the number of versions. Here consecutive
 * entries are grouped into nodes where an entry's name has its low bits zero (content-defined,
 * like the chunks: an edit changes only the nodes on its path), level by level, until the top
 * has at most TOP_MAX entries. A new version then stores its new chunks, one new node per level,
 * and a top list; counting a reference to a shared node stands for all the chunks below it.
 */

export interface TreeEntry {
  /** Content name: a 64-bit hash (chunks: of the bytes; nodes: of their entries). */
  name: string;
  raw: number;
  crc: number;
  /** 0 for a chunk, n for a node whose entries are of level n - 1. */
  level: number;
  /** A node's entries. */
  kids?: TreeEntry[];
  /** A chunk's bytes: a view of the caller's buffer when `packed` is absent. */
  bytes?: Uint8Array;
  /** A chunk's row data, prepared before the transaction when the chunk looked new. */
  packed?: { codec: Codec; data: Uint8Array };
  /** Instead of `packed`: the chunk as the first `keep` bytes of `base` and the packed rest. */
  delta?: { base: TreeEntry; keep: number; packed: { codec: Codec; data: Uint8Array } };
  /** Of a remembered last chunk: the length of its delta chain as this worker wrote it. */
  depth?: number;
}

/** Average entries per node is FANOUT; a node has between MIN_KIDS and MAX_KIDS. */
const FANOUT = 8;
const MIN_KIDS = 2;
const MAX_KIDS = 32;
export const TOP_MAX = 16;

/** Identity of an entry's content: equal identities are interchangeable. */
export const identity = (e: { name: string; crc: number; raw: number }) => `${e.name}/${e.crc}/${e.raw}`;

export function buildTree(chunks: TreeEntry[]): { level: number; kids: TreeEntry[] } {
  let entries = chunks;
  let level = 0;
  while (entries.length > TOP_MAX) {
    const nodes: TreeEntry[] = [];
    let group: TreeEntry[] = [];
    for (const e of entries) {
      group.push(e);
      const cut = group.length >= MAX_KIDS || (group.length >= MIN_KIDS && (parseInt(e.name.slice(8, 12), 16) & (FANOUT - 1)) === 0);
      if (cut) {
        nodes.push(makeNode(group, level + 1));
        group = [];
      }
    }
    if (group.length > 0) nodes.push(makeNode(group, level + 1));
    entries = nodes;
    level++;
  }
  return { level, kids: entries };
}

function makeNode(kids: TreeEntry[], level: number): TreeEntry {
  let raw = 0;
  let crc = 0;
  for (const k of kids) {
    crc = crc32Combine(crc, k.crc, k.raw);
    raw += k.raw;
  }
  return { name: nameOfString(`${level}|${kids.map(identity).join(",")}`), raw, crc, level, kids };
}
