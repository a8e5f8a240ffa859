import type { EngineContext } from "./context.js";
import { keysAndValues, prefixRange, type ReadTx, type WriteTx } from "./db.js";
import type { PayloadRef } from "./payload/index.js";
import { StoreError, invalid } from "../src/errors.js";
import { assertBytes, assertCount, assertId, assertPlainData, assertPlainObject, assertSize, assertStringRecord, describe, isPlainObject } from "../src/validate.js";
import {
  RUN_STATUSES,
  type CheckpointMeta,
  type RunCheckpoint,
  type RunMetadata,
  type RunStatus,
  type RunStore,
  type WorkflowEvent,
} from "../src/types.js";

/**
 * Seed 002: workflow runs. Rows:
 *   meta   ["r", "run", runId]               -> RunRow: the run and its counters
 *   meta   ["r", "cp", runId, nodeId, seq]   -> CheckpointRow
 *   events ["r", runId, seq]                 -> WorkflowEvent
 * Sequence numbers come from counters in the run row, read and bumped in the same write
 * transaction that stores the event or checkpoint. IndexedDB runs write transactions on one row
 * one at a time across every tab, so they stay dense and strictly increasing with many writers.
 */
const R = "r";

/** The largest count IDBObjectStore.getAll takes (an unsigned long). */
const MAX_GET_ALL = 0xffff_ffff;

interface RunRow extends RunMetadata {
  /** Last event seq handed out. */
  eventSeq: number;
  /** Checkpoints saved so far in the run: the last checkpoint seq handed out. */
  saved: number;
}

interface CheckpointRow {
  createdAt: number;
  size: number;
  metadata?: Record<string, string>;
  /** Position among every checkpoint of the run, for listCheckpoints. */
  order: number;
  ref: PayloadRef;
}

const runKey = (runId: string) => [R, "run", runId];
const cpKey = (runId: string, nodeId: string, seq: number) => [R, "cp", runId, nodeId, seq];

const runNotFound = (runId: string) => new StoreError("NOT_FOUND", `run "${runId}" does not exist`);

function publicRun(row: RunRow): RunMetadata {
  const { runId, workflow, params, status, createdAt, updatedAt } = row;
  return { runId, workflow, params, status, createdAt, updatedAt };
}

function toMeta(runId: string, nodeId: string, seq: number, row: CheckpointRow): CheckpointMeta {
  const meta: CheckpointMeta = { runId, nodeId, seq, createdAt: row.createdAt, size: row.size };
  if (row.metadata) meta.metadata = row.metadata;
  return meta;
}

function assertStatus(status: unknown): asserts status is RunStatus {
  if (!RUN_STATUSES.includes(status as RunStatus)) {
    throw invalid(`status must be one of ${RUN_STATUSES.join(", ")}, got ${describe(status)}`);
  }
}

/** The write line of one run: its writes commit, and its reads open, in call order. */
const runLine = (id: string) => `run:${id}`;

export function createRunStore(ctx: EngineContext): RunStore {
  const { db, payloads } = ctx;

  async function getRunRow(tx: ReadTx, runId: string): Promise<RunRow | undefined> {
    return (await tx.objectStore("meta").get(runKey(runId))) as RunRow | undefined;
  }

  async function loadAt(tx: ReadTx, runId: string, nodeId: string, seq: number): Promise<RunCheckpoint | undefined> {
    const row = (await tx.objectStore("meta").get(cpKey(runId, nodeId, seq))) as CheckpointRow | undefined;
    if (!row) return undefined;
    return { meta: toMeta(runId, nodeId, seq, row), state: await payloads.get(tx, row.ref) };
  }

  /** The newest checkpoint key of (run, node): one step back from the end of its range. */
  async function newestSeq(tx: ReadTx, runId: string, nodeId: string): Promise<number> {
    const cursor = await tx.objectStore("meta").openKeyCursor(prefixRange([R, "cp", runId, nodeId]), "prev");
    return cursor ? (cursor.key[4] as number) : 0;
  }

  async function listRange(tx: ReadTx, runId: string, prefix: IDBValidKey[]): Promise<Array<[CheckpointMeta, number]>> {
    // One request for the whole range (two without getAllRecords); a cursor was one per checkpoint.
    const meta = tx.objectStore("meta");
    const range = prefixRange(prefix);
    const { keys, values: rows } = await keysAndValues<CheckpointRow>(meta, range);
    return rows.map((row, i) => {
      const key = keys[i] as IDBValidKey[];
      return [toMeta(runId, key[3] as string, key[4] as number, row), row.order];
    });
  }

  async function dropRun(tx: WriteTx, runId: string): Promise<boolean> {
    const meta = tx.objectStore("meta");
    const existed = (await getRunRow(tx, runId)) !== undefined;
    const range = prefixRange([R, "cp", runId]);
    for (const row of (await meta.getAll(range)) as CheckpointRow[]) await payloads.release(tx, row.ref);
    await meta.delete(range);
    await meta.delete(runKey(runId));
    await tx.objectStore("events").delete(prefixRange([R, runId]));
    return existed;
  }

  return {
    async createRun(runId, workflow, params) {
      assertId(runId, "runId");
      assertId(workflow, "workflow");
      assertPlainObject(params, "params", ctx.limits.metadataBytes);
      const now = ctx.now();
      return db.write(
        ["meta"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          if (await meta.getKey(runKey(runId))) throw new StoreError("CONFLICT", `run "${runId}" already exists`);
          const row: RunRow = { runId, workflow, params, status: "running", createdAt: now, updatedAt: now, eventSeq: 0, saved: 0 };
          await meta.put(row, runKey(runId));
          return publicRun(row);
        },
        "creating a run",
        undefined,
        // After the run's writes called before it (a checkpoint still compressing).
        db.turn(runLine(runId)),
      );
    },

    async getRun(runId) {
      assertId(runId, "runId");
      return db.read(["meta"], async (tx) => {
        const row = await getRunRow(tx, runId);
        return row && publicRun(row);
      }, "reading a run", runLine(runId));
    },

    async updateRunStatus(runId, status) {
      assertId(runId, "runId");
      assertStatus(status);
      const now = ctx.now();
      await db.write(
        ["meta"],
        async (tx) => {
          const row = await getRunRow(tx, runId);
          if (!row) throw runNotFound(runId);
          await tx.objectStore("meta").put({ ...row, status, updatedAt: Math.max(now, row.updatedAt) } satisfies RunRow, runKey(runId));
        },
        "updating a run's status",
        undefined,
        db.turn(runLine(runId)),
      );
    },

    async saveCheckpoint(runId, nodeId, state, metadata) {
      assertId(runId, "runId");
      assertId(nodeId, "nodeId");
      assertBytes(state, "state");
      // undefined and null both stand for the contract's None.
      if (metadata != null) {
        assertStringRecord(metadata, "metadata");
        assertPlainObject(metadata, "metadata", ctx.limits.metadataBytes);
      }
      // Checkpoints of one run commit in the order they were saved, whatever each takes to compress.
      return db.writeInLine(
        runLine(runId),
        async () => ({ encoded: await payloads.encode(state), createdAt: ctx.now() }),
        ["meta", "blobs"],
        async (tx, { encoded, createdAt }) => {
          const run = await getRunRow(tx, runId);
          if (!run) throw runNotFound(runId);
          // One counter for the run, as for its events: a checkpoint's seq says where it stands
          // among all of the run's checkpoints, and a node's seqs increase with gaps. (Runs
          // stored when seqs counted per node keep theirs: `saved` counts every checkpoint, so
          // it is past each node's last seq and the next one is still that node's newest.)
          const seq = run.saved + 1;
          const ref = await payloads.put(tx, encoded);
          const row: CheckpointRow = { createdAt, size: state.length, order: seq, ref };
          if (metadata != null) row.metadata = { ...metadata };
          const meta = tx.objectStore("meta");
          await meta.put(row, cpKey(runId, nodeId, seq));
          // Every change to a run is a change of the run: updatedAt moves, never backwards.
          await meta.put({ ...run, saved: run.saved + 1, updatedAt: Math.max(createdAt, run.updatedAt) } satisfies RunRow, runKey(runId));
          return toMeta(runId, nodeId, seq, row);
        },
        "saving a run checkpoint",
      );
    },

    async loadCheckpoint(runId, nodeId) {
      assertId(runId, "runId");
      assertId(nodeId, "nodeId");
      return db.read(
        ["meta", "blobs"],
        async (tx) => {
          const seq = await newestSeq(tx, runId, nodeId);
          return seq === 0 ? undefined : loadAt(tx, runId, nodeId, seq);
        },
        "loading a run checkpoint",
        runLine(runId),
      );
    },

    async loadCheckpointAt(runId, nodeId, seq) {
      assertId(runId, "runId");
      assertId(nodeId, "nodeId");
      assertCount(seq, "seq");
      return db.read(["meta", "blobs"], (tx) => loadAt(tx, runId, nodeId, seq), "loading a run checkpoint", runLine(runId));
    },

    async listCheckpoints(runId) {
      assertId(runId, "runId");
      const rows = await db.read(["meta"], (tx) => listRange(tx, runId, [R, "cp", runId]), "listing run checkpoints", runLine(runId));
      return rows.sort((a, b) => a[1] - b[1]).map(([meta]) => meta);
    },

    async listNodeCheckpoints(runId, nodeId) {
      assertId(runId, "runId");
      assertId(nodeId, "nodeId");
      const rows = await db.read(["meta"], (tx) => listRange(tx, runId, [R, "cp", runId, nodeId]), "listing node checkpoints", runLine(runId));
      return rows.map(([meta]) => meta);
    },

    async appendEvent(event) {
      // Its shape and ids first, its size last: an event whose id is bad is INVALID_ARGUMENT
      // whatever its size, as every other call checks ids before sizes.
      if (!isPlainObject(event)) throw invalid(`event must be a plain object, got ${describe(event)}`);
      const { runId, kind, nodeId, data } = event;
      assertId(runId, "event.runId");
      assertId(kind, "event.kind");
      if (nodeId != null) assertId(nodeId, "event.nodeId");
      // One walk checks everything in the event (its data too) and measures it.
      assertSize(assertPlainData(event, "event"), ctx.limits.eventBytes, "event");
      const timestamp = ctx.now();
      return db.write(
        ["meta", "events"],
        async (tx) => {
          const run = await getRunRow(tx, runId);
          if (!run) throw runNotFound(runId);
          const seq = run.eventSeq + 1;
          const stored: WorkflowEvent = { runId, kind, seq, timestamp };
          if (nodeId != null) stored.nodeId = nodeId;
          if (data !== undefined) stored.data = data;
          await tx.objectStore("events").put(stored, [R, runId, seq]);
          await tx.objectStore("meta").put({ ...run, eventSeq: seq, updatedAt: Math.max(timestamp, run.updatedAt) } satisfies RunRow, runKey(runId));
          return seq;
        },
        "appending a run event",
        undefined,
        db.turn(runLine(runId)),
      );
    },

    async getEvents(runId, sinceSeq, limit) {
      assertId(runId, "runId");
      if (sinceSeq != null) assertCount(sinceSeq, "sinceSeq");
      assertCount(limit, "limit");
      if (limit === 0) return [];
      const range = IDBKeyRange.bound([R, runId, sinceSeq ?? 0], [R, runId, Infinity], true, false);
      // getAll's count is an unsigned 32-bit number and throws above it: a larger limit (the
      // contract's limit is a usize, and "all" is often asked as Number.MAX_SAFE_INTEGER) takes
      // every event, which no run can have 2^32 of anyway.
      const count = limit > MAX_GET_ALL ? undefined : limit;
      return db.read(["events"], async (tx) => (await tx.objectStore("events").getAll(range, count)) as WorkflowEvent[], "reading run events", runLine(runId));
    },

    async deleteRun(runId) {
      assertId(runId, "runId");
      return db.deleteOnly(["meta", "events", "blobs"], (tx) => dropRun(tx, runId), "deleting a run", db.turn(runLine(runId)));
    },
  };
}
