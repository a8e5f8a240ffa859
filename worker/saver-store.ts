import type { EngineContext } from "./context.js";
import { prefixRange, type Key, type ReadTx } from "./db.js";
import { S, SaverReader, cpKey, loadCheckpoint, type CheckpointRow } from "./saver-rows.js";
import { assertDeltaHistoryRequest, assertGetRequest, assertListRequest } from "./saver-validate.js";
import { createSaverWrites, runBatch, type PreparedWrite } from "./saver-writes.js";
import { createSaverThreads } from "./saver-threads.js";
import { GroupCommit } from "./group-commit.js";
import type { CheckpointSaver, DeltaChannelHistory, SaverListRequest, StoredWrite } from "../src/types.js";

/**
 * Seed 001, bytes level: LangGraph's checkpoint saver storage, laid out like LangGraph's Postgres
 * saver. A checkpoint header is stored without its channel values; each channel value is stored
 * once per (thread, ns, channel, version), only for the channels a put names as new, and
 * channel_values is rebuilt on read from the header's channel versions. Values arrive serialized
 * by the caller ([type, bytes]) and go through the payload module (compressed, checksummed).
 * Writes live in saver-writes.ts, whole-thread operations in saver-threads.ts.
 */
export function createSaverStore(ctx: EngineContext): CheckpointSaver {
  const { db, payloads } = ctx;
  const reader = new SaverReader(payloads);
  const writes = createSaverWrites(ctx);
  const threads = createSaverThreads(ctx);
  // A call's writes and the name its errors carry; calls that arrive together share a transaction.
  const commits = new GroupCommit<{ writes: PreparedWrite[]; context: string }>(async (group) => {
    const all = group.flatMap((g) => g.writes);
    // An empty batch writes nothing and needs no transaction.
    if (all.length > 0) await db.write(["meta", "blobs"], (tx) => runBatch(tx, all), group.length === 1 ? group[0].context : "saver.batch");
  });
  const submit = (writes: Promise<PreparedWrite[]>, context: string) => commits.submit(writes.then((w) => ({ writes: w, context })));
  /** Whole-thread operations run after the writes that arrived before them. */
  const afterWrites =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await commits.idle();
      return fn(...args);
    };

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
      await submit(writes.preparePut(r).then((p) => [p]), "saver.put");
      // Seed 001's put answers with the stored checkpoint's config.
      return { threadId: r.threadId, ns: r.ns, checkpointId: r.checkpointId };
    },

    putWrites(r) {
      return submit(writes.preparePutWrites(r).then((p) => [p]), "saver.putWrites");
    },

    batch(ops) {
      return submit(writes.prepareBatch(ops), "saver.batch");
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
      const absent = r.absent ?? [];
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
              const index = row && filter.length + absent.length > 0 ? row.metadataIndex : {};
              if (row && filter.every(([k, json]) => Object.hasOwn(index, k) && index[k] === json) && !absent.some((k) => Object.hasOwn(index, k))) {
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

    deleteThread: afterWrites(threads.deleteThread),
    copyThread: afterWrites(threads.copyThread),
    prune: afterWrites(threads.prune),
    deleteForRuns: afterWrites(threads.deleteForRuns),
    listThreads: threads.listThreads,

    async getDeltaChannelHistory(r) {
      assertDeltaHistoryRequest(r);
      if (r.channels.length === 0) return {};
      return db.read(
        ["meta", "blobs"],
        async (tx) => {
          const writes = new Map<string, StoredWrite[][]>(r.channels.map((c) => [c, []]));
          const seeds = new Map<string, Pick<DeltaChannelHistory, "seed" | "seedIn">>();
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
              const version = Object.hasOwn(row.channelVersions, channel) ? row.channelVersions[channel] : undefined;
              if (version === undefined) {
                // A value without a version is inside the checkpoint's own bytes.
                if (!row.unversioned?.includes(channel)) continue;
                seeds.set(channel, { seedIn: await reader.checkpointBytes(tx, row) });
                remaining.delete(channel);
                continue;
              }
              const seed = await reader.blobValue(tx, r.threadId, r.ns, channel, version);
              if (seed !== undefined) {
                seeds.set(channel, { seed });
                remaining.delete(channel);
              }
            }
            parentId = row.parentId;
          }
          const result: Record<string, DeltaChannelHistory> = {};
          for (const channel of r.channels) {
            result[channel] = { writes: writes.get(channel)!.flat(), ...seeds.get(channel) };
          }
          return result;
        },
        "saver.getDeltaChannelHistory",
      );
    },
  };
}
