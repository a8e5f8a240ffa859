import type { EngineContext } from "./context.js";
import { MAX_KEY, keysAndValues, prefixRange, type Key, type ReadTx, type WriteTx } from "./db.js";
import type { PayloadRef } from "./payload/index.js";
import type { Turn } from "./write-lines.js";
import { StoreError, isStoreError } from "../src/errors.js";
import { assertBytes, assertId, assertPlainObject } from "../src/validate.js";
import type { LoadedThreadCheckpoint, Metadata, ThreadCheckpointMeta, ThreadCheckpointStore } from "../src/types.js";

/**
 * Seed 000: checkpoints of opaque bytes per thread. Rows in `meta`:
 *   ["t", "cp", threadId, checkpointId] -> CheckpointRow
 *   ["t", "head", threadId]             -> HeadRow: newest id and count, kept in the same
 *                                          transaction as every change, so loadLatest and count
 *                                          are one key lookup however long the thread is.
 */
const T = "t";

interface CheckpointRow {
  createdAt: number;
  size: number;
  metadata: Metadata;
  ref: PayloadRef;
}

interface HeadRow {
  latest: string;
  count: number;
  /** Time part and counter of the last id made: new ids sort after it even if the clock steps back. */
  ts: number;
  seq: number;
}

const cpKey = (thread: string, id: string) => [T, "cp", thread, id];
const headKey = (thread: string) => [T, "head", thread];

/**
 * Ids are made inside the write transaction from the thread's head row, which IndexedDB
 * serializes across every tab: fixed-width base-36 time, then a per-thread counter. They sort by
 * creation as plain strings, also for saves within one millisecond or from two tabs at once.
 */
function nextId(head: Pick<HeadRow, "ts" | "seq"> | undefined, now: number, fresh = false): { id: string; ts: number; seq: number } {
  const ts = Math.max(now, head?.ts ?? 0);
  const seq = Math.max(head?.seq ?? 0, fresh ? randomCounter() : 0) + 1;
  return { id: ts.toString(36).padStart(9, "0") + seq.toString(36).padStart(7, "0"), ts, seq };
}

/**
 * Where the counter of a thread without a head row starts. Its last id may have been deleted in
 * the same millisecond by another tab, which alone knew that id's counter: starting at a random
 * point (below 36^6, which leaves the 7 digits room to count) keeps the new id from being that
 * one, while the ids of a living thread still count up one by one.
 */
function randomCounter(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] % 36 ** 6;
}

function notFound(thread: string, id?: string): StoreError {
  return new StoreError("NOT_FOUND", id === undefined ? `thread "${thread}" has no checkpoints` : `thread "${thread}" has no checkpoint "${id}"`);
}

/** The write line of one thread: its writes commit, and its reads open, in call order. */
const threadLine = (id: string) => `thread:${id}`;

export function createThreadStore(ctx: EngineContext): ThreadCheckpointStore {
  const { db, payloads } = ctx;
  /**
   * The last id's time and counter of each thread whose head row went with its last checkpoint:
   * a save made after that in the same millisecond (or under a frozen test clock) still makes a
   * new id, never one this store handed out before.
   */
  const retired = new Map<string, Pick<HeadRow, "ts" | "seq">>();
  const retire = (threadId: string, head: HeadRow | undefined) => head && retired.set(threadId, { ts: head.ts, seq: head.seq });

  const toMeta = (threadId: string, checkpointId: string, row: CheckpointRow): ThreadCheckpointMeta => ({
    threadId,
    checkpointId,
    createdAt: row.createdAt,
    size: row.size,
    metadata: row.metadata,
  });

  async function loadRow(tx: ReadTx, threadId: string, checkpointId: string): Promise<LoadedThreadCheckpoint> {
    const row = (await tx.objectStore("meta").get(cpKey(threadId, checkpointId))) as CheckpointRow | undefined;
    if (!row) throw notFound(threadId, checkpointId);
    const state = await payloads.get(tx, row.ref);
    return { meta: toMeta(threadId, checkpointId, row), state };
  }

  /**
   * The thread's head row; rebuilt from its checkpoint rows when a delete on a full disk had to
   * drop it (see delete): one step back from the end of the range, and a count.
   */
  async function headOf(tx: ReadTx, threadId: string): Promise<HeadRow | undefined> {
    const meta = tx.objectStore("meta");
    const head = (await meta.get(headKey(threadId))) as HeadRow | undefined;
    if (head) return head;
    const cursor = await meta.openKeyCursor(prefixRange([T, "cp", threadId]), "prev");
    if (!cursor) return undefined;
    const latest = cursor.key[3] as string;
    const count = await meta.count(prefixRange([T, "cp", threadId]));
    return { latest, count, ts: parseInt(latest.slice(0, 9), 36), seq: parseInt(latest.slice(9), 36) };
  }

  /** Removes the rows of a thread and frees their payloads. */
  async function dropThread(tx: WriteTx, threadId: string): Promise<void> {
    const meta = tx.objectStore("meta");
    const range = prefixRange([T, "cp", threadId]);
    const [rows, head] = await Promise.all([meta.getAll(range) as Promise<CheckpointRow[]>, headOf(tx, threadId)]);
    retire(threadId, head);
    for (const row of rows) await payloads.release(tx, row.ref);
    await meta.delete(range);
    await meta.delete(headKey(threadId));
  }

  return {
    async save(threadId, metadata, state) {
      assertId(threadId, "threadId");
      assertPlainObject(metadata, "metadata", ctx.limits.metadataBytes);
      assertBytes(state, "state");
      // Saves of one thread commit in the order they were called, whatever each takes to compress.
      return db.writeInLine(
        threadLine(threadId),
        async () => ({ encoded: await payloads.encode(state), createdAt: ctx.now() }),
        ["meta", "blobs"],
        async (tx, { encoded, createdAt }) => {
          const meta = tx.objectStore("meta");
          // The payload's requests and the head's read go out together: one round trip less.
          const [head, ref] = await Promise.all([headOf(tx, threadId), payloads.put(tx, encoded)]);
          const { id, ts, seq } = nextId(head ?? retired.get(threadId), createdAt, !head);
          retired.delete(threadId);
          await Promise.all([
            meta.put({ createdAt, size: state.length, metadata, ref } satisfies CheckpointRow, cpKey(threadId, id)),
            meta.put({ latest: id, count: (head?.count ?? 0) + 1, ts, seq } satisfies HeadRow, headKey(threadId)),
          ]);
          return id;
        },
        "saving a checkpoint",
      );
    },

    async load(threadId, checkpointId) {
      assertId(threadId, "threadId");
      assertId(checkpointId, "checkpointId");
      return db.read(["meta", "blobs"], (tx) => loadRow(tx, threadId, checkpointId), "loading a checkpoint", threadLine(threadId));
    },

    async loadLatest(threadId) {
      assertId(threadId, "threadId");
      return db.read(
        ["meta", "blobs"],
        async (tx) => {
          const head = await headOf(tx, threadId);
          if (!head) throw notFound(threadId);
          return loadRow(tx, threadId, head.latest);
        },
        "loading the latest checkpoint",
        threadLine(threadId),
      );
    },

    async list(threadId) {
      assertId(threadId, "threadId");
      return db.read(
        ["meta"],
        async (tx) => {
          // One request for the whole thread (two without getAllRecords); a cursor was one per checkpoint.
          const meta = tx.objectStore("meta");
          const range = prefixRange([T, "cp", threadId]);
          const { keys, values: rows } = await keysAndValues(meta, range);
          return rows.map((row, i) => toMeta(threadId, (keys[i] as Key)[3] as string, row as CheckpointRow));
        },
        "listing checkpoints",
        threadLine(threadId),
      );
    },

    async delete(threadId, checkpointId) {
      assertId(threadId, "threadId");
      assertId(checkpointId, "checkpointId");
      let turn: Turn | undefined = db.turn(threadLine(threadId));
      // Right after a quota error the deleting path goes first: in Firefox that next write may
      // only delete, and updating the head row would spend it.
      if (!db.storageFull) {
        try {
          return await updateOnDelete(threadId, checkpointId, turn);
        } catch (e) {
          if (!isStoreError(e, "QUOTA_EXCEEDED")) throw e;
        }
        // Its place in the line is spent.
        turn = undefined;
      }
      // Storage is full, and a browser then admits only transactions that delete: drop the
      // checkpoint and the head row without writing anything; readers rebuild the head.
      await db.deleteOnly(
        ["meta", "blobs"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          const row = (await meta.get(cpKey(threadId, checkpointId))) as CheckpointRow | undefined;
          if (!row) return;
          retire(threadId, await headOf(tx, threadId));
          await payloads.release(tx, row.ref);
          await meta.delete(cpKey(threadId, checkpointId));
          await meta.delete(headKey(threadId));
        },
        "deleting a checkpoint",
        turn,
      );
    },

    async deleteThread(threadId) {
      assertId(threadId, "threadId");
      await db.deleteOnly(["meta", "blobs"], (tx) => dropThread(tx, threadId), "deleting a thread", db.turn(threadLine(threadId)));
    },

    async count(threadId) {
      assertId(threadId, "threadId");
      return db.read(["meta"], async (tx) => (await headOf(tx, threadId))?.count ?? 0, "counting checkpoints", threadLine(threadId));
    },

    async listThreads() {
      // Walks the checkpoint keys a thread at a time (a head row may be missing, see delete).
      return db.read(
        ["meta"],
        async (tx) => {
          const threads: string[] = [];
          let cursor = await tx.objectStore("meta").openKeyCursor(prefixRange([T, "cp"]));
          while (cursor) {
            const thread = cursor.key[2] as string;
            threads.push(thread);
            cursor = await cursor.continue([T, "cp", thread, MAX_KEY]);
          }
          return threads;
        },
        "listing threads",
        "*",
      );
    },
  };

  /** A delete that keeps the head row current: the usual path. */
  function updateOnDelete(threadId: string, checkpointId: string, turn: Turn): Promise<void> {
    return db.write(
      ["meta", "blobs"],
      async (tx) => {
        const meta = tx.objectStore("meta");
        // Deleting what is not there changes nothing and succeeds, as in seed 000's own store:
        // a delete retried after a TIMEOUT (outcome unknown) must not then fail.
        const row = (await meta.get(cpKey(threadId, checkpointId))) as CheckpointRow | undefined;
        if (!row) return;
        const head = (await headOf(tx, threadId))!;
        await payloads.release(tx, row.ref);
        await meta.delete(cpKey(threadId, checkpointId));
        if (head.count <= 1) {
          retire(threadId, head);
          await meta.delete(headKey(threadId));
          return;
        }
        let latest = head.latest;
        if (latest === checkpointId) {
          // The newest one left: one step back from the end of the thread's range.
          const cursor = await meta.openKeyCursor(prefixRange([T, "cp", threadId]), "prev");
          latest = cursor!.key[3] as string;
        }
        await meta.put({ ...head, latest, count: head.count - 1 } satisfies HeadRow, headKey(threadId));
      },
      "deleting a checkpoint",
      undefined,
      turn,
    );
  }
}
