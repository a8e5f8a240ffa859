import type { EngineContext } from "./context.js";
import { prefixRange, type ReadTx, type WriteTx } from "./db.js";
import type { PayloadRef } from "./payload/index.js";
import { assertBytes, assertGraphHash, assertId } from "../src/validate.js";
import type { BlobCheckpointStore, BlobRecord, LoadedBlob } from "../src/types.js";

/**
 * Seed 003: checkpoint blobs keyed by checkpoint id, grouped by trace, stamped with the hash of
 * the graph that wrote them (checked on the page by TypedCheckpointStore). Rows in `meta`:
 *   ["b", "cp", checkpointId]     -> BlobRow
 *   ["b", "tr", traceId, order]   -> checkpointId: the trace in save order, so loadLatest is one
 *                                    step back from the end of the trace's range
 */
const B = "b";

interface BlobRow {
  traceId: string;
  /** The u64 as a decimal string: every IndexedDB implementation stores strings exactly. */
  graphHash: string;
  createdAt: number;
  size: number;
  order: number;
  ref: PayloadRef;
}

const cpKey = (id: string) => [B, "cp", id];
const traceKey = (trace: string, order: number) => [B, "tr", trace, order];

const toRecord = (checkpointId: string, row: BlobRow): BlobRecord => ({
  checkpointId,
  traceId: row.traceId,
  graphHash: BigInt(row.graphHash),
  createdAt: row.createdAt,
  size: row.size,
});

export function createBlobStore(ctx: EngineContext): BlobCheckpointStore {
  const { db, payloads } = ctx;

  async function loadRow(tx: ReadTx, checkpointId: string): Promise<LoadedBlob | undefined> {
    const row = (await tx.objectStore("meta").get(cpKey(checkpointId))) as BlobRow | undefined;
    if (!row) return undefined;
    return { record: toRecord(checkpointId, row), bytes: await payloads.get(tx, row.ref) };
  }

  /** Removes a checkpoint's rows and frees its payload; false when there was none. */
  async function drop(tx: WriteTx, checkpointId: string): Promise<boolean> {
    const meta = tx.objectStore("meta");
    const row = (await meta.get(cpKey(checkpointId))) as BlobRow | undefined;
    if (!row) return false;
    await payloads.release(tx, row.ref);
    await meta.delete(traceKey(row.traceId, row.order));
    await meta.delete(cpKey(checkpointId));
    return true;
  }

  return {
    async save(checkpointId, traceId, graphHash, bytes) {
      assertId(checkpointId, "checkpointId");
      assertId(traceId, "traceId");
      assertGraphHash(graphHash);
      assertBytes(bytes, "bytes");
      // Saves commit in the order they were called (a trace's order is the commit order).
      await db.writeInLine(
        "blobs",
        async () => ({ encoded: await payloads.encode(bytes), createdAt: ctx.now() }),
        ["meta", "blobs"],
        async (tx, { encoded, createdAt }) => {
          const meta = tx.objectStore("meta");
          // Saving an id again replaces it, and moves it to the end of its (possibly new) trace.
          await drop(tx, checkpointId);
          // One past the trace's last entry, read in this transaction: saves from several tabs
          // are serialized by IndexedDB, so the order is the commit order.
          const last = await meta.openKeyCursor(prefixRange([B, "tr", traceId]), "prev");
          const order = (last ? (last.key[3] as number) : 0) + 1;
          const ref = await payloads.put(tx, encoded);
          const row: BlobRow = { traceId, graphHash: graphHash.toString(), createdAt, size: bytes.length, order, ref };
          await meta.put(row, cpKey(checkpointId));
          await meta.put(checkpointId, traceKey(traceId, order));
        },
        "saving a checkpoint blob",
      );
    },

    async load(checkpointId) {
      assertId(checkpointId, "checkpointId");
      return db.read(["meta", "blobs"], (tx) => loadRow(tx, checkpointId), "loading a checkpoint blob", "blobs");
    },

    async loadLatest(traceId) {
      assertId(traceId, "traceId");
      return db.read(
        ["meta", "blobs"],
        async (tx) => {
          const cursor = await tx.objectStore("meta").openCursor(prefixRange([B, "tr", traceId]), "prev");
          return cursor ? loadRow(tx, cursor.value as string) : undefined;
        },
        "loading the latest checkpoint blob",
        "blobs",
      );
    },

    async list(traceId) {
      assertId(traceId, "traceId");
      return db.read(
        ["meta"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          const ids = (await meta.getAll(prefixRange([B, "tr", traceId]))) as string[];
          const rows = await Promise.all(ids.map((id) => meta.get(cpKey(id)) as Promise<BlobRow>));
          return rows.map((row, i) => toRecord(ids[i], row));
        },
        "listing checkpoint blobs",
        "blobs",
      );
    },

    async delete(checkpointId) {
      assertId(checkpointId, "checkpointId");
      return db.deleteOnly(["meta", "blobs"], (tx) => drop(tx, checkpointId), "deleting a checkpoint blob", db.turn("blobs"));
    },
  };
}
