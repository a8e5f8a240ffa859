import type { EngineContext } from "../context.js";
import { settled, type ReadTx, type WriteTx } from "../db.js";
import { deadKey, extendedKey, itemKey, packedKey, type ItemRow, type Packed } from "./rows.js";

/**
 * An item as a write or a get finds it: in its own row, or packed in a block (rows.ts). Both are
 * read in one round trip; at most one exists.
 */
export interface Stored {
  seq: number;
  createdAt: number;
  ttl?: number;
  expiresAt?: number;
  row?: ItemRow;
  packed?: Packed;
}

export const isLive = (expiresAt: number | undefined, now: number) => expiresAt === undefined || expiresAt > now;

export async function readStored(tx: ReadTx, ns: string[], key: string): Promise<Stored | undefined> {
  const meta = tx.objectStore("meta");
  const [row, packed] = (await Promise.all([meta.get(itemKey(ns, key)), meta.get(packedKey(ns, key))])) as [ItemRow | undefined, Packed | undefined];
  if (row) return { seq: row[0], createdAt: row[1], ttl: row[6], expiresAt: row[7], row };
  if (packed) return { seq: packed[2], createdAt: packed[3], ttl: packed[4], expiresAt: packed[5], packed };
  return undefined;
}

/**
 * Removes the item (not its expiry row). An item row's payload is released; a packed item's
 * slot is marked dead, and its block is freed once a packing finds it mostly dead.
 */
export function removeStored(tx: WriteTx, ctx: EngineContext, ns: string[], key: string, stored: Stored): Promise<void> {
  const meta = tx.objectStore("meta");
  if (stored.row) {
    settled(meta.delete(itemKey(ns, key)));
    return ctx.payloads.release(tx, stored.row[3]);
  }
  const [block, slot] = stored.packed!;
  settled(meta.delete(packedKey(ns, key)));
  settled(meta.put(0, deadKey(block, slot)));
  settled(meta.delete(extendedKey(block, slot)));
  return Promise.resolve();
}

/** Gives the item a new expiry time (its expiry row is the caller's). */
export function setExpiry(tx: WriteTx, ns: string[], key: string, stored: Stored, expiresAt: number): void {
  const meta = tx.objectStore("meta");
  if (stored.row) {
    stored.row[7] = expiresAt;
    settled(meta.put(stored.row, itemKey(ns, key)));
    return;
  }
  const packed = stored.packed!;
  packed[5] = expiresAt;
  settled(meta.put(packed, packedKey(ns, key)));
  // A cold load reads blocks, not pointers: this row tells it the slot's new expiry.
  settled(meta.put(expiresAt, extendedKey(packed[0], packed[1])));
}
