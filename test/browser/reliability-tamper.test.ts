import { describe, it, expect } from "vitest";
import { openStore, isStoreError } from "../../src/index";
import { uniqueName } from "../conformance/backend";
import { printFigures } from "../reliability/figures";
import { rawOpen, rawKeys, rawGet, rawPut, keyId, largestSlot, rowsWithBytes } from "../reliability/raw-idb";

/**
 * Tampering and corruption: another program in the origin flips a byte, truncates, or swaps the
 * stored payload rows of records with raw IndexedDB calls. Every read of a damaged record must
 * reject with INTEGRITY, never return wrong bytes; every other record still reads correctly.
 * The test learns which rows belong to a record by diffing the keys of both object stores around
 * its save, so it holds for any payload layout: flips and truncations hit any `blobs` row of the
 * record that holds bytes (a whole payload or one of its chunks), or, for a small state that
 * travels inside its checkpoint's own row, that row; swaps exchange the `blobs` rows of two
 * records of equal size that are stored as one row each, the case where each row is internally
 * consistent. (Swapping two whole checkpoint rows is out of reach of any checksum inside them:
 * each row is what some save wrote.)
 */

const RECORDS = 150;
const DAMAGED = { flip: 34, truncate: 34, swapPairs: 16 }; // 34 + 34 + 32 = 100 damaged records

/**
 * Unique bytes per record (so no two records share a chunk). Records come in pairs (2k, 2k+1) of
 * equal size and kind, so a swap within a pair changes content only; every other pair compresses
 * well, except the swapped ones, which must not be small enough to travel inside their row.
 */
function stateFor(i: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = (i + 1) * 2654435761;
  for (let j = 0; j < size; j++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    bytes[j] = (i >> 1) % 2 === 0 && !swapped(i) ? x & 3 : x & 0xff;
  }
  return bytes;
}

const swapped = (i: number) => i >= 68 && i < 100;

/**
 * Sizes from 1 KiB to 13 KiB (inside the checkpoint row, one row, or several chunks); the swapped
 * pairs 1.1 to 2 KiB of noise (one row of their own).
 */
const sizeFor = (i: number) => (swapped(i) ? 1100 + (((i >> 1) * 211) % 900) : 1024 + (((i >> 1) * 977) % 12288));

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe("tampering with stored payloads", () => {
  it("rejects the read of every flipped, truncated or swapped record with INTEGRITY (100 of 100) and reads every other record correctly", async () => {
    const name = uniqueName("rel-tamper");
    let store = await openStore({ name });
    const raw = await rawOpen(name);
    const ids: string[] = [];
    const rowsOf: IDBValidKey[][] = [];
    const metaRowsOf: IDBValidKey[][] = [];
    try {
      const newKeys = async (store: string, known: Set<string>) => {
        const keys = await rawKeys(raw, store);
        const fresh = keys.filter((k) => !known.has(keyId(k)));
        for (const k of fresh) known.add(keyId(k));
        return fresh;
      };
      const knownBlobs = new Set((await rawKeys(raw, "blobs")).map(keyId));
      const knownMeta = new Set((await rawKeys(raw, "meta")).map(keyId));
      for (let i = 0; i < RECORDS; i++) {
        ids.push(await store.threads.save("t", { i }, stateFor(i, sizeFor(i))));
        rowsOf.push(await newKeys("blobs", knownBlobs));
        metaRowsOf.push(await newKeys("meta", knownMeta));
      }
      /** The rows holding a record's bytes: its `blobs` rows, or its own row when it has none. */
      const byteRows = async (r: number): Promise<Array<[string, IDBValidKey]>> => {
        const blobs = await rowsWithBytes(raw, "blobs", rowsOf[r]);
        const rows = blobs.length > 0 ? blobs.map((k): [string, IDBValidKey] => ["blobs", k]) : (await rowsWithBytes(raw, "meta", metaRowsOf[r])).map((k): [string, IDBValidKey] => ["meta", k]);
        expect(rows.length).toBeGreaterThan(0);
        return rows;
      };

      const damaged = new Set<number>();
      let r = 0;
      for (let n = 0; n < DAMAGED.flip; n++, r++) {
        const rows = await byteRows(r);
        const [where, key] = rows[n % rows.length];
        const box = { row: await rawGet(raw, where, key) };
        const slot = largestSlot(box);
        const bytes = slot.get().slice();
        bytes[(n * 7919) % bytes.length] ^= 1 << n % 8;
        slot.set(bytes);
        await rawPut(raw, where, [[key, box.row]]);
        damaged.add(r);
      }
      for (let n = 0; n < DAMAGED.truncate; n++, r++) {
        const rows = await byteRows(r);
        const [where, key] = rows[n % rows.length];
        const box = { row: await rawGet(raw, where, key) };
        const slot = largestSlot(box);
        slot.set(slot.get().slice(0, Math.floor(slot.get().length / 2)));
        await rawPut(raw, where, [[key, box.row]]);
        damaged.add(r);
      }
      for (let n = 0; n < DAMAGED.swapPairs; n++, r += 2) {
        // A pair of records of the same size and kind, each one row: only the content differs.
        expect([rowsOf[r].length, rowsOf[r + 1].length]).toEqual([1, 1]);
        const a = rowsOf[r][0];
        const b = rowsOf[r + 1][0];
        const [rowA, rowB] = [await rawGet(raw, "blobs", a), await rawGet(raw, "blobs", b)];
        await rawPut(raw, "blobs", [
          [a, rowB],
          [b, rowA],
        ]);
        damaged.add(r).add(r + 1);
      }

      // A fresh worker: nothing of the records is cached, every read goes to the damaged rows.
      await store.close();
      store = await openStore({ name });
      let caught = 0;
      let wrongBytes = 0;
      let otherErrors = 0;
      let intact = 0;
      for (let i = 0; i < RECORDS; i++) {
        const outcome = await store.threads.load("t", ids[i]).catch((e: unknown) => e);
        if (damaged.has(i)) {
          if (isStoreError(outcome, "INTEGRITY")) caught++;
          else if (isStoreError(outcome)) otherErrors++;
          else wrongBytes++;
        } else if (!isStoreError(outcome) && equal((outcome as { state: Uint8Array }).state, stateFor(i, sizeFor(i)))) {
          intact++;
        }
      }
      const chunked = rowsOf.filter((rows) => rows.length > 1).length;
      const inline = rowsOf.filter((rows, i) => rows.length === 0 && damaged.has(i)).length;
      printFigures("tampering", {
        chunkedRecords: chunked,
        damagedInTheirOwnRow: inline, damaged: damaged.size, detected: caught, wrongBytesReturned: wrongBytes, otherErrors, undamaged: RECORDS - damaged.size, undamagedReadOk: intact });
      expect(damaged.size).toBe(100);
      // Every layout is damaged: inside the checkpoint row, one payload row, chunks.
      expect(inline).toBeGreaterThan(0);
      expect(chunked).toBeGreaterThan(0);
      expect(caught).toBe(100);
      expect(intact).toBe(RECORDS - damaged.size);
    } finally {
      raw.close();
      await store.close();
    }
  });
});
