import type { EngineContext } from "./context.js";
import { addIfAbsent, type Key, type WriteTx } from "./db.js";
import type { EncodedPayload, PayloadRef } from "./payload/index.js";
import {
  blobKey,
  cpKey,
  globalIndexKey,
  threadIndexKey,
  writeKey,
  loadCheckpoint,
  storeBlob,
  storeCheckpoint,
  storeWrite,
  writeRef,
  type CheckpointRow,
} from "./saver-rows.js";
import { RUN_ID_KEY, assertPutRequest, assertPutWritesRequest } from "./saver-validate.js";
import { canonicalJson } from "../src/canonical-json.js";
import { invalid } from "../src/errors.js";
import { assertSize, describe, isPlainObject } from "../src/validate.js";
import type { SaverPutRequest, SaverPutWritesRequest, SaverWriteOp, SerializedValue } from "../src/types.js";
import { logChange } from "./saver-changes.js";

/**
 * A checked, encoded write, ready to run inside a write transaction in two phases: its reads,
 * then its writes given what it read. `keys` are the rows it reads and writes: writes of a batch
 * that share none can read together and then write together.
 */
export interface PreparedWrite {
  keys: string[];
  read(tx: WriteTx): Promise<unknown>;
  write(tx: WriteTx, read: unknown): Promise<void>;
}

/**
 * Runs a batch's writes in one transaction. Writes that touch no row in common go in one step:
 * all their reads out together, then all their writes, so a step costs two round trips to the
 * database, not two per write. A write that shares a row with one of the current step starts the
 * next step, so it sees what the earlier one wrote.
 */
export async function runBatch(tx: WriteTx, prepared: PreparedWrite[]): Promise<void> {
  let step: PreparedWrite[] = [];
  let taken = new Set<string>();
  const run = async () => {
    const reads = await Promise.all(step.map((p) => p.read(tx)));
    await Promise.all(step.map((p, i) => p.write(tx, reads[i])));
  };
  for (const p of prepared) {
    if (p.keys.some((k) => taken.has(k))) {
      await run();
      step = [];
      taken = new Set();
    }
    step.push(p);
    for (const k of p.keys) taken.add(k);
  }
  if (step.length > 0) await run();
}

/**
 * The saver's two writes, each in two halves: `prepare*` checks the request and compresses its
 * payloads (outside any transaction), and the function it returns does the reads and writes
 * inside one. A single put runs one such function in its own transaction; a batch runs several,
 * one after the other, in one.
 */
export function createSaverWrites(ctx: EngineContext) {
  const { payloads } = ctx;
  const encode = (value: SerializedValue) => payloads.encode(value[1]);

  /**
   * Adds the row in one request when its key is free (the common case: a new id); else replaces
   * the row there and frees that row's payload.
   */
  async function addOrReplace(tx: WriteTx, key: Key, row: unknown, refOf: (old: any) => PayloadRef): Promise<void> {
    if (await addIfAbsent(tx, "meta", row, key)) return;
    const meta = tx.objectStore("meta");
    const old = await meta.get(key);
    if (old) await payloads.release(tx, refOf(old));
    await meta.put(row as never, key);
  }

  async function preparePut(r: SaverPutRequest): Promise<PreparedWrite> {
    assertPutRequest(r);
    payloads.checkSize(r.metadata[1]);
    assertSize(r.metadata[1].length, ctx.limits.metadataBytes, "metadata");
    // Compress before the transaction: CPU work inside it would let it auto-commit.
    const checkpoint = await encode(r.checkpoint);
    const blobs = await Promise.all(r.blobs.map(async (b) => ({ blob: b, encoded: b.value ? await encode(b.value) : undefined })));
    const key = cpKey(r.threadId, r.ns, r.checkpointId);
    const blobKeys = blobs.map(({ blob }) => blobKey(r.threadId, r.ns, blob.channel, blob.version));
    // A blob whose row needs no payload row of its own (no value, or one small enough to live in
    // its reference) is added if absent in one request; the others are counted first, so a
    // payload row is written only for a blob that is stored.
    const small = blobs.map(({ blob, encoded }) => !blob.value || !encoded || payloads.isInline(encoded));
    return {
      keys: [key, ...blobKeys].map((k) => JSON.stringify(k)),
      // Every read first, together, then every write: requests in flight at once cost one
      // round trip to the database, where one after another each costs its own.
      read: (tx) => Promise.all(blobKeys.map((bk, i) => (small[i] ? 0 : tx.objectStore("meta").count(bk)))),
      write: (tx, read) => writePut(tx, read as number[]),
    };

    async function writePut(tx: WriteTx, present: number[]): Promise<void> {
      const meta = tx.objectStore("meta");
      // The index rows first: in a write that may only delete (after a quota error) a put throws
      // at once, and then no other request of this write is on its way unheard.
      const writes: Promise<unknown>[] = [meta.put(0, threadIndexKey(r.threadId, r.ns, r.checkpointId)), meta.put(0, globalIndexKey(r.threadId, r.ns, r.checkpointId))];
      const header = payloads.put(tx, checkpoint).then(async (ref) => {
        const row: CheckpointRow = {
          v: r.v,
          checkpoint: { type: r.checkpoint[0], ref },
          metadata: [r.metadata[0], r.metadata[1].slice()],
          metadataIndex: r.runId === undefined || r.metadataIndex.run_id !== undefined ? r.metadataIndex : { ...r.metadataIndex, [RUN_ID_KEY]: canonicalJson(r.runId) },
          channelVersions: r.channelVersions,
        };
        if (r.parentId !== undefined) row.parentId = r.parentId;
        if (r.unversioned?.length) row.unversioned = r.unversioned;
        // Putting an existing id replaces it (as LangGraph's SQL savers do).
        await addOrReplace(tx, key, storeCheckpoint(row), (old) => loadCheckpoint(old).checkpoint.ref);
      });
      writes.push(header);
      logChange(tx, ctx.changeOrigin, ["checkpoint", r.threadId, r.ns, r.checkpointId]);
      const stored = new Set<string>();
      blobs.forEach(({ blob, encoded }, i) => {
        // Insert-if-absent: a (channel, version) is stored once, whichever put names it first
        // (or the first time it appears in this put).
        const id = JSON.stringify([blob.channel, blob.version]);
        if (present[i] > 0 || stored.has(id)) return;
        stored.add(id);
        const value = encoded && blob.value ? payloads.put(tx, encoded).then((ref) => ({ type: blob.value![0], ref })) : Promise.resolve({});
        writes.push(value.then((v): Promise<unknown> => (small[i] ? addIfAbsent(tx, "meta", storeBlob(v), blobKeys[i]) : meta.put(storeBlob(v), blobKeys[i]))));
      });
      await Promise.all(writes);
    }
  }

  async function preparePutWrites(r: SaverPutWritesRequest): Promise<PreparedWrite> {
    assertPutWritesRequest(r);
    const encoded: EncodedPayload[] = await Promise.all(r.writes.map((w) => encode(w.value)));
    // No check that the checkpoint exists: LangGraph sends writes before (or while) it puts it.
    const keys = r.writes.map((w) => writeKey(r.threadId, r.ns, r.checkpointId, r.taskId, w.idx));
    // A write whose payload lives in its reference is added if its slot is free, in one request
    // (a special one that finds its slot taken then replaces the row); the others read first.
    const small = encoded.map((e) => payloads.isInline(e));
    return {
      // A slot named twice in one request is still one row.
      keys: [...new Set(keys.map((k) => JSON.stringify(k)))],
      read: (tx) => Promise.all(keys.map((key, i) => (small[i] ? undefined : tx.objectStore("meta").get(key)))),
      write: (tx, read) => writeWrites(tx, read as any[]),
    };

    async function writeWrites(tx: WriteTx, olds: any[]): Promise<void> {
      const meta = tx.objectStore("meta");
      // Which write lands in each slot: a retried task must not replace its first output
      // (regular, idx >= 0); the latest error / interrupt / resume (special, idx < 0) wins.
      const landing = new Map<number, number>();
      r.writes.forEach((w, i) => {
        if (w.idx < 0) landing.set(w.idx, i);
        else if (!olds[i] && !landing.has(w.idx)) landing.set(w.idx, i);
      });
      const writes: Promise<unknown>[] = [];
      if (landing.size > 0) logChange(tx, ctx.changeOrigin, ["writes", r.threadId, r.ns, r.checkpointId]);
      for (const i of landing.values()) {
        const w = r.writes[i];
        if (olds[i]) writes.push(payloads.release(tx, writeRef(olds[i])));
        const ref = payloads.put(tx, encoded[i]);
        const row = ref.then((ref) => storeWrite({ taskId: r.taskId, taskPath: r.taskPath, idx: w.idx, channel: w.channel, type: w.value[0], ref }));
        if (!small[i]) writes.push(row.then((row) => meta.put(row, keys[i])));
        // A regular write keeps the slot's first row; a special one replaces it.
        else writes.push(row.then((row): Promise<unknown> => (w.idx >= 0 ? addIfAbsent(tx, "meta", row, keys[i]) : addOrReplace(tx, keys[i], row, writeRef))));
      }
      await Promise.all(writes);
    }
  }

  /** Checks and prepares every operation of a batch before any is written. */
  async function prepareBatch(ops: unknown): Promise<PreparedWrite[]> {
    if (!Array.isArray(ops)) throw invalid(`a batch must be an array of operations, got ${describe(ops)}`);
    return Promise.all(
      ops.map((op: unknown, i) => {
        const keys = isPlainObject(op) ? Object.keys(op) : [];
        if (!isPlainObject(op) || keys.length !== 1 || !["put", "putWrites"].includes(keys[0])) {
          throw invalid(`batch[${i}] must be { put: request } or { putWrites: request }, got ${describe(op)}`);
        }
        const o = op as SaverWriteOp;
        return "put" in o ? preparePut(o.put) : preparePutWrites(o.putWrites);
      }),
    );
  }

  return { preparePut, preparePutWrites, prepareBatch };
}
