import type { EngineContext } from "./context.js";
import { prefixRange, type Key, type ReadTx } from "./db.js";
import type { EncodedPayload } from "./payload.js";
import {
  S,
  SaverReader,
  blobKey,
  cpKey,
  globalIndexKey,
  threadIndexKey,
  writeKey,
  loadBlob,
  loadCheckpoint,
  storeBlob,
  storeCheckpoint,
  storeWrite,
  writeRef,
  type CheckpointRow,
} from "./saver-rows.js";
import {
  assertDeltaHistoryRequest,
  assertGetRequest,
  assertListRequest,
  assertPutRequest,
  assertPutWritesRequest,
} from "./saver-validate.js";
import { assertId, assertSize } from "../src/validate.js";
import type {
  CheckpointSaver,
  DeltaChannelHistory,
  SaverListRequest,
  SerializedValue,
  StoredWrite,
} from "../src/types.js";

/**
 * Seed 001, bytes level: LangGraph's checkpoint saver storage, laid out like LangGraph's Postgres
 * saver. A checkpoint header is stored without its channel values; each channel value is stored
 * once per (thread, ns, channel, version), only for the channels a put names as new, and
 * channel_values is rebuilt on read from the header's channel versions. Values arrive serialized
 * by the caller ([type, bytes]) and go through the payload module (compressed, checksummed).
 */
export function createSaverStore(ctx: EngineContext): CheckpointSaver {
  const { db, payloads } = ctx;
  const reader = new SaverReader(payloads);
  const encode = (value: SerializedValue) => payloads.encode(value[1]);

  /** The header of (thread, ns, id), or the newest of (thread, ns) when id is absent. */
  async function findRow(tx: ReadTx, thread: string, ns: string, id?: string): Promise<[string, CheckpointRow] | undefined> {
    const meta = tx.objectStore("meta");
    if (id !== undefined) {
      const row = await meta.get(cpKey(thread, ns, id));
      return row && [id, loadCheckpoint(row)];
    }
    const cursor = await meta.openCursor(prefixRange([S, "cp", thread, ns]), "prev");
    return cursor ? [cursor.key[4] as string, loadCheckpoint(cursor.value)] : undefined;
  }

  /** Which index to walk backwards for a listing, and how to read (thread, ns, id) from its keys. */
  function listScan(r: SaverListRequest): { range: IDBKeyRange; address: (key: Key) => [string, string, string] } {
    const upper = (prefix: Key) =>
      r.before === undefined ? prefixRange(prefix) : IDBKeyRange.bound(prefix, [...prefix, r.before], false, true);
    if (r.threadId !== undefined && r.ns !== undefined) {
      const prefix = [S, "cp", r.threadId, r.ns];
      return {
        range: r.checkpointId !== undefined ? IDBKeyRange.only([...prefix, r.checkpointId]) : upper(prefix),
        address: (k) => [k[2] as string, k[3] as string, k[4] as string],
      };
    }
    if (r.threadId !== undefined) {
      const prefix = [S, "ti", r.threadId];
      return {
        range: r.checkpointId !== undefined ? prefixRange([...prefix, r.checkpointId]) : upper(prefix),
        address: (k) => [k[2] as string, k[4] as string, k[3] as string],
      };
    }
    const prefix = [S, "gi"];
    return {
      range: r.checkpointId !== undefined ? prefixRange([...prefix, r.checkpointId]) : upper(prefix),
      address: (k) => [k[3] as string, k[4] as string, k[2] as string],
    };
  }

  return {
    async put(r) {
      assertPutRequest(r);
      payloads.checkSize(r.metadata[1]);
      assertSize(r.metadata[1].length, ctx.limits.metadataBytes, "metadata");
      // Compress before the transaction: CPU work inside it would let it auto-commit.
      const checkpoint = await encode(r.checkpoint);
      const blobs = await Promise.all(r.blobs.map(async (b) => ({ blob: b, encoded: b.value ? await encode(b.value) : undefined })));
      await db.write(
        ["meta", "blobs"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          const key = cpKey(r.threadId, r.ns, r.checkpointId);
          const blobKeys = blobs.map(({ blob }) => blobKey(r.threadId, r.ns, blob.channel, blob.version));
          // Every read first, together, then every write: requests in flight at once cost one
          // round trip to the database, where one after another each costs its own.
          const [old, ...present] = await Promise.all([meta.get(key), ...blobKeys.map((bk) => meta.count(bk))]);
          const writes: Promise<unknown>[] = [];
          // Putting an existing id replaces it (as LangGraph's SQL savers do).
          if (old) writes.push(payloads.release(tx, loadCheckpoint(old).checkpoint.ref));
          const header = payloads.put(tx, checkpoint).then((ref) => {
            const row: CheckpointRow = {
              v: r.v,
              checkpoint: { type: r.checkpoint[0], ref },
              metadata: [r.metadata[0], r.metadata[1].slice()],
              metadataIndex: r.metadataIndex,
              channelVersions: r.channelVersions,
            };
            if (r.parentId !== undefined) row.parentId = r.parentId;
            return meta.put(storeCheckpoint(row), key);
          });
          writes.push(header, meta.put(0, threadIndexKey(r.threadId, r.ns, r.checkpointId)), meta.put(0, globalIndexKey(r.threadId, r.ns, r.checkpointId)));
          const stored = new Set<string>();
          blobs.forEach(({ blob, encoded }, i) => {
            // Insert-if-absent: a (channel, version) is stored once, whichever put names it first
            // (or the first time it appears in this put).
            const id = JSON.stringify([blob.channel, blob.version]);
            if (present[i] > 0 || stored.has(id)) return;
            stored.add(id);
            const value = encoded && blob.value ? payloads.put(tx, encoded).then((ref) => ({ type: blob.value![0], ref })) : Promise.resolve({});
            writes.push(value.then((v) => meta.put(storeBlob(v), blobKeys[i])));
          });
          await Promise.all(writes);
        },
        "saver.put",
      );
    },

    async putWrites(r) {
      assertPutWritesRequest(r);
      const encoded: EncodedPayload[] = await Promise.all(r.writes.map((w) => encode(w.value)));
      await db.write(
        ["meta", "blobs"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          // No check that the checkpoint exists: LangGraph sends writes before (or while) it puts it.
          const keys = r.writes.map((w) => writeKey(r.threadId, r.ns, r.checkpointId, r.taskId, w.idx));
          const olds = await Promise.all(keys.map((key) => meta.get(key)));
          // Which write lands in each slot: a retried task must not replace its first output
          // (regular, idx >= 0); the latest error / interrupt / resume (special, idx < 0) wins.
          const landing = new Map<number, number>();
          r.writes.forEach((w, i) => {
            if (w.idx < 0) landing.set(w.idx, i);
            else if (!olds[i] && !landing.has(w.idx)) landing.set(w.idx, i);
          });
          const writes: Promise<unknown>[] = [];
          for (const i of landing.values()) {
            const w = r.writes[i];
            if (olds[i]) writes.push(payloads.release(tx, writeRef(olds[i])));
            const ref = payloads.put(tx, encoded[i]);
            writes.push(ref.then((ref) => meta.put(storeWrite({ taskId: r.taskId, taskPath: r.taskPath, idx: w.idx, channel: w.channel, type: w.value[0], ref }), keys[i])));
          }
          await Promise.all(writes);
        },
        "saver.putWrites",
      );
    },

    async getTuple(r) {
      assertGetRequest(r);
      return db.read(
        ["meta", "blobs"],
        async (tx) => {
          const found = await findRow(tx, r.threadId, r.ns, r.checkpointId);
          return found && reader.tuple(tx, r.threadId, r.ns, found[0], found[1]);
        },
        "saver.getTuple",
      );
    },

    async list(r) {
      assertListRequest(r);
      const { range, address } = listScan(r);
      const filter = Object.entries(r.filter ?? {});
      return db.read(
        ["meta", "blobs"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          const found: Array<[string, string, string, CheckpointRow]> = [];
          const limit = r.limit ?? Infinity;
          let cursor = found.length < limit ? await meta.openKeyCursor(range, "prev") : null;
          while (cursor && found.length < limit) {
            const [thread, ns, id] = address(cursor.key);
            // The key range already applies `before`, except when a checkpoint id picks the range.
            if ((r.ns === undefined || ns === r.ns) && (r.before === undefined || id < r.before)) {
              const stored = await meta.get(cpKey(thread, ns, id));
              const row = stored && loadCheckpoint(stored);
              const index = row && filter.length > 0 ? row.metadataIndex : {};
              if (row && filter.every(([k, json]) => Object.hasOwn(index, k) && index[k] === json)) {
                found.push([thread, ns, id, row]);
              }
            }
            cursor = found.length < limit ? await cursor.continue() : null;
          }
          return Promise.all(found.map(([thread, ns, id, row]) => reader.tuple(tx, thread, ns, id, row)));
        },
        "saver.list",
      );
    },

    async deleteThread(threadId) {
      assertId(threadId, "threadId");
      await db.write(
        ["meta", "blobs"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          const cpRange = prefixRange([S, "cp", threadId]);
          const [cpKeys, cpRows, blobRows, writeRows] = await Promise.all([
            meta.getAllKeys(cpRange),
            meta.getAll(cpRange),
            meta.getAll(prefixRange([S, "bl", threadId])),
            meta.getAll(prefixRange([S, "wr", threadId])),
          ]);
          const refs = [
            ...cpRows.map((c) => loadCheckpoint(c).checkpoint.ref),
            ...blobRows.flatMap((b) => {
              const ref = loadBlob(b)?.ref;
              return ref ? [ref] : [];
            }),
            ...writeRows.map(writeRef),
          ];
          await Promise.all([
            ...refs.map((ref) => payloads.release(tx, ref)),
            ...cpKeys.map((k) => meta.delete(globalIndexKey(threadId, k[3] as string, k[4] as string))),
            ...["cp", "ti", "bl", "wr"].map((kind) => meta.delete(prefixRange([S, kind, threadId]))),
          ]);
        },
        "saver.deleteThread",
      );
    },

    async getDeltaChannelHistory(r) {
      assertDeltaHistoryRequest(r);
      if (r.channels.length === 0) return {};
      return db.read(
        ["meta", "blobs"],
        async (tx) => {
          const writes = new Map<string, StoredWrite[][]>(r.channels.map((c) => [c, []]));
          const seeds = new Map<string, SerializedValue>();
          const remaining = new Set(r.channels);
          // The target's own writes are pending for the next step: the walk starts at its parent.
          let parentId = (await findRow(tx, r.threadId, r.ns, r.checkpointId))?.[1].parentId;
          while (parentId !== undefined && remaining.size > 0) {
            const found = await findRow(tx, r.threadId, r.ns, parentId);
            if (!found) break;
            const [id, row] = found;
            const rows = await reader.sortedWriteRows(tx, r.threadId, r.ns, id);
            for (const channel of remaining) {
              const own = await Promise.all(rows.filter((w) => w.channel === channel).map((w) => reader.write(tx, w)));
              // Ancestors are visited newest first; each block goes in front of the later ones.
              if (own.length > 0) writes.get(channel)!.unshift(own);
            }
            for (const channel of [...remaining]) {
              const version = row.channelVersions[channel];
              const seed = version === undefined ? undefined : await reader.blobValue(tx, r.threadId, r.ns, channel, version);
              if (seed !== undefined) {
                seeds.set(channel, seed);
                remaining.delete(channel);
              }
            }
            parentId = row.parentId;
          }
          const result: Record<string, DeltaChannelHistory> = {};
          for (const channel of r.channels) {
            const entry: DeltaChannelHistory = { writes: writes.get(channel)!.flat() };
            const seed = seeds.get(channel);
            if (seed !== undefined) entry.seed = seed;
            result[channel] = entry;
          }
          return result;
        },
        "saver.getDeltaChannelHistory",
      );
    },
  };
}
