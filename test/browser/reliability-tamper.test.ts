import { describe, it, expect } from "vitest";
import { openStore, isStoreError } from "../../src/index";
import { uniqueName } from "../conformance/backend";
import { printFigures } from "../reliability/figures";
import { rawOpen, rawKeys, rawGet, rawPut, keyId, largestSlot, rowsWithBytes } from "../reliability/raw-idb";

/**
 * Tampering and corruption: another program in the origin flips a byte, truncates, or swaps the
 * stored payload rows of records with raw IndexedDB calls. Every read of a damaged record must
 * reject with INTEGRITY, never return wrong bytes; every other record still reads correctly.
 * The test learns which `blobs` rows belong to a record by diffing the keys around its save, so
 * it holds for any payload layout: flips and truncations hit any row of the record that holds
 * bytes (a whole payload or one of its chunks); swaps exchange the rows of two records of equal
 * size that are stored as one row each, the case where each row is internally consistent.
 */

const RECORDS = 150;
const DAMAGED = { flip: 34, truncate: 34, swapPairs: 16 }; // 34 + 34 + 32 = 100 damaged records

/**
 * Unique bytes per record (so no two records share a chunk). Records come in pairs (2k, 2k+1) of
 * equal size and kind, so a swap within a pair changes content only; every other pair compresses well.
 */
function stateFor(i: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = (i + 1) * 2654435761;
  for (let j = 0; j < size; j++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    bytes[j] = (i >> 1) % 2 === 0 ? x & 3 : x & 0xff;
  }
  return bytes;
}

/** Sizes from 1 KiB to 13 KiB (one row to several chunks); the swapped pairs 0.5 to 2 KiB (one row). */
const sizeFor = (i: number) => (i >= 68 && i < 100 ? 512 + (((i >> 1) * 211) % 1500) : 1024 + (((i >> 1) * 977) % 12288));

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
    try {
      let known = new Set((await rawKeys(raw, "blobs")).map(keyId));
      for (let i = 0; i < RECORDS; i++) {
        ids.push(await store.threads.save("t", { i }, stateFor(i, sizeFor(i))));
        const keys = await rawKeys(raw, "blobs");
        rowsOf.push(keys.filter((k) => !known.has(keyId(k))));
        known = new Set(keys.map(keyId));
        expect(rowsOf[i].length).toBeGreaterThan(0);
      }

      const damaged = new Set<number>();
      let r = 0;
      for (let n = 0; n < DAMAGED.flip; n++, r++) {
        const rows = await rowsWithBytes(raw, rowsOf[r]);
        const key = rows[n % rows.length];
        const box = { row: await rawGet(raw, "blobs", key) };
        const slot = largestSlot(box);
        const bytes = slot.get().slice();
        bytes[(n * 7919) % bytes.length] ^= 1 << n % 8;
        slot.set(bytes);
        await rawPut(raw, "blobs", [[key, box.row]]);
        damaged.add(r);
      }
      for (let n = 0; n < DAMAGED.truncate; n++, r++) {
        const rows = await rowsWithBytes(raw, rowsOf[r]);
        const key = rows[n % rows.length];
        const box = { row: await rawGet(raw, "blobs", key) };
        const slot = largestSlot(box);
        slot.set(slot.get().slice(0, Math.floor(slot.get().length / 2)));
        await rawPut(raw, "blobs", [[key, box.row]]);
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
      printFigures("tampering", {
        chunkedRecords: chunked, damaged: damaged.size, detected: caught, wrongBytesReturned: wrongBytes, otherErrors, undamaged: RECORDS - damaged.size, undamagedReadOk: intact });
      expect(damaged.size).toBe(100);
      expect(caught).toBe(100);
      expect(intact).toBe(RECORDS - damaged.size);
    } finally {
      raw.close();
      await store.close();
    }
  });
});
