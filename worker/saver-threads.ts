import type { EngineContext } from "./context.js";
import { MAX_KEY, keysAndValues, prefixRange, type Key, type WriteTx } from "./db.js";
import type { PayloadRef } from "./payload/index.js";
import {
  S,
  cpKey,
  globalIndexKey,
  threadIndexKey,
  loadBlob,
  loadCheckpoint,
  storeBlob,
  storeCheckpoint,
  storeWrite,
  loadWrite,
  writeRef,
  type CheckpointRow,
} from "./saver-rows.js";
import { StoreError } from "../src/errors.js";
import { assertId } from "../src/validate.js";
import { assertCopyThread, assertIdList, assertListThreads, assertPrune, runIdOf } from "./saver-validate.js";
import { canonicalJson } from "../src/canonical-json.js";
import { logChange } from "./saver-changes.js";
import type { SaverPruneOptions, SaverThreadInfo, SaverListThreadsRequest, SerializedValue } from "../src/types.js";

/**
 * Whole-thread operations of the saver: delete, copy, prune, delete by run, and the listing of
 * threads. Each write is one transaction, and releases the payloads of every row it removes, so
 * storage is freed, not only hidden.
 */
export function createSaverThreads(ctx: EngineContext) {
  const { db, payloads } = ctx;

  /** Removes the checkpoints (with their index rows and writes) at these keys, inside `tx`. */
  async function removeCheckpoints(tx: WriteTx, thread: string, doomed: Array<{ ns: string; id: string; row: CheckpointRow }>): Promise<void> {
    const meta = tx.objectStore("meta");
    await Promise.all(
      doomed.map(async ({ ns, id, row }) => {
        const range = prefixRange([S, "wr", thread, ns, id]);
        const writes = await meta.getAll(range);
        await Promise.all([
          payloads.release(tx, row.checkpoint.ref),
          ...writes.map((w) => payloads.release(tx, writeRef(w))),
          meta.delete(range),
          meta.delete(cpKey(thread, ns, id)),
          meta.delete(threadIndexKey(thread, ns, id)),
          meta.delete(globalIndexKey(thread, ns, id)),
        ]);
      }),
    );
  }

  /**
   * Deletes the channel values of (thread, ns) that no checkpoint left there names, and the
   * writes of checkpoints that are gone (or were never put).
   */
  async function collectGarbage(tx: WriteTx, thread: string): Promise<void> {
    const meta = tx.objectStore("meta");
    const [cpKeys, cpRows, blKeys, blRows, wrKeys] = await Promise.all([
      meta.getAllKeys(prefixRange([S, "cp", thread])),
      meta.getAll(prefixRange([S, "cp", thread])),
      meta.getAllKeys(prefixRange([S, "bl", thread])),
      meta.getAll(prefixRange([S, "bl", thread])),
      meta.getAllKeys(prefixRange([S, "wr", thread])),
    ]);
    const named = new Set<string>();
    const present = new Set<string>();
    cpRows.forEach((stored, i) => {
      const ns = (cpKeys[i] as Key)[3] as string;
      present.add(JSON.stringify([ns, (cpKeys[i] as Key)[4]]));
      for (const [channel, version] of Object.entries(loadCheckpoint(stored).channelVersions)) named.add(JSON.stringify([ns, channel, version]));
    });
    const work: Promise<unknown>[] = [];
    blKeys.forEach((k, i) => {
      const key = k as Key;
      if (named.has(JSON.stringify([key[3], key[4], key[5]]))) return;
      const ref = loadBlob(blRows[i])?.ref;
      if (ref) work.push(payloads.release(tx, ref));
      work.push(meta.delete(key));
    });
    const orphaned = new Set<string>();
    for (const k of wrKeys) {
      const cp = JSON.stringify([(k as Key)[3], (k as Key)[4]]);
      if (!present.has(cp)) orphaned.add(cp);
    }
    for (const o of orphaned) {
      const [ns, id] = JSON.parse(o) as [string, string];
      const range = prefixRange([S, "wr", thread, ns, id]);
      work.push(meta.getAll(range).then((rows) => Promise.all([...rows.map((w) => payloads.release(tx, writeRef(w))), meta.delete(range)])));
    }
    await Promise.all(work);
  }

  /** Every checkpoint of a thread, all namespaces: [ns, id, row]. */
  async function checkpointsOf(tx: WriteTx, thread: string): Promise<Array<{ ns: string; id: string; row: CheckpointRow }>> {
    const meta = tx.objectStore("meta");
    const range = prefixRange([S, "cp", thread]);
    const { keys, values: rows } = await keysAndValues(meta, range);
    return rows.map((stored, i) => ({ ns: (keys[i] as Key)[3] as string, id: (keys[i] as Key)[4] as string, row: loadCheckpoint(stored) }));
  }

  async function deleteThreadIn(tx: WriteTx, threadId: string): Promise<void> {
    const meta = tx.objectStore("meta");
    logChange(tx, ctx.changeOrigin, ["tombstone", threadId]);
    const cpRange = prefixRange([S, "cp", threadId]);
    const [cpKeys, cpRows, blobRows, writeRows] = await Promise.all([
      meta.getAllKeys(cpRange),
      meta.getAll(cpRange),
      meta.getAll(prefixRange([S, "bl", threadId])),
      meta.getAll(prefixRange([S, "wr", threadId])),
    ]);
    const refs: PayloadRef[] = [
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
  }

  return {
    async deleteThread(threadId: string): Promise<void> {
      assertId(threadId, "threadId");
      // Deletes only: on a full disk its retry is the write a browser lets past the quota.
      await db.deleteOnly(["meta", "blobs"], (tx) => deleteThreadIn(tx, threadId), "saver.deleteThread");
    },

    /**
     * Copies every checkpoint (all namespaces, same ids), channel value and pending write of
     * `source` to `target`. The payload bytes are read in one transaction and written in another
     * as new payloads (their chunks are shared, so the copy costs little storage); `target` must
     * be empty, else CONFLICT and nothing is written.
     */
    async copyThread(source: string, target: string): Promise<void> {
      assertCopyThread(source, target);
      type Row = { key: Key; value: unknown; payload?: Uint8Array };
      const rows = await db.read(
        ["meta", "blobs"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          const kinds = ["cp", "bl", "wr"] as const;
          const read = await Promise.all(kinds.map((kind) => keysAndValues(meta, prefixRange([S, kind, source]))));
          const out: Row[] = [];
          await Promise.all(
            read.flatMap(({ keys, values }, k) =>
              values.map(async (value, i) => {
                const key = keys[i] as Key;
                const ref = kinds[k] === "cp" ? loadCheckpoint(value).checkpoint.ref : kinds[k] === "bl" ? loadBlob(value)?.ref : writeRef(value);
                out.push({ key, value, payload: ref ? await payloads.get(tx, ref) : undefined });
              }),
            ),
          );
          return out;
        },
        "saver.copyThread",
      );
      const encoded = await Promise.all(rows.map((r) => (r.payload ? payloads.encode(r.payload) : undefined)));
      await db.write(
        ["meta", "blobs"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          const existing = await meta.count(prefixRange([S, "cp", target]));
          if (existing > 0) throw new StoreError("CONFLICT", `copyThread: target thread "${target}" already has ${existing} checkpoints`, { retryable: false });
          await Promise.all(
            rows.map(async (r, i) => {
              const [, kind, , ...rest] = r.key;
              const key: Key = [S, kind, target, ...rest];
              const ref = encoded[i] ? await payloads.put(tx, encoded[i]!) : undefined;
              if (kind === "cp") {
                const row = loadCheckpoint(r.value as never);
                const [ns, id] = rest as [string, string];
                await Promise.all([
                  meta.put(storeCheckpoint({ ...row, metadataIndex: row.metadataIndex, checkpoint: { type: row.checkpoint.type, ref: ref! } }), key),
                  meta.put(0, threadIndexKey(target, ns, id)),
                  meta.put(0, globalIndexKey(target, ns, id)),
                ]);
              } else if (kind === "bl") {
                const blob = loadBlob(r.value as never)!;
                await meta.put(storeBlob(ref ? { type: blob.type, ref } : {}), key);
              } else {
                const w = loadWrite(r.key, r.value as never);
                await meta.put(storeWrite({ ...w, ref: ref! }), key);
              }
            }),
          );
        },
        "saver.copyThread",
      );
    },

    /**
     * "keep_latest": each namespace of each thread keeps its newest checkpoint and that one's
     * writes; "delete": the threads are deleted. Values no kept checkpoint names are freed.
     */
    async prune(threadIds: string[], options: SaverPruneOptions = {}): Promise<void> {
      const strategy = assertPrune(threadIds, options);
      if (threadIds.length === 0) return;
      await db.deleteOnly(
        ["meta", "blobs"],
        async (tx) => {
          for (const thread of new Set(threadIds)) {
            if (strategy === "delete") {
              await deleteThreadIn(tx, thread);
              continue;
            }
            const all = await checkpointsOf(tx, thread);
            const newest = new Map<string, string>();
            for (const c of all) if (!newest.has(c.ns) || c.id > newest.get(c.ns)!) newest.set(c.ns, c.id);
            await removeCheckpoints(tx, thread, all.filter((c) => newest.get(c.ns) !== c.id));
            await collectGarbage(tx, thread);
          }
        },
        "saver.prune",
      );
    },

    /** Deletes every checkpoint whose metadata's run_id is one of `runIds`, in every thread. */
    async deleteForRuns(runIds: string[]): Promise<void> {
      assertIdList(runIds, "runIds");
      if (runIds.length === 0) return;
      const wanted = new Set(runIds.map((r) => canonicalJson(r)));
      await db.deleteOnly(
        ["meta", "blobs"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          const range = prefixRange([S, "cp"]);
          const { keys, values: rows } = await keysAndValues(meta, range);
          const byThread = new Map<string, Array<{ ns: string; id: string; row: CheckpointRow }>>();
          rows.forEach((stored, i) => {
            const row = loadCheckpoint(stored);
            const runId = runIdOf(row.metadataIndex);
            if (runId === undefined || !wanted.has(runId)) return;
            const [, , thread, ns, id] = keys[i] as Key as [string, string, string, string, string];
            if (!byThread.has(thread)) byThread.set(thread, []);
            byThread.get(thread)!.push({ ns, id, row });
          });
          for (const [thread, doomed] of byThread) {
            await removeCheckpoints(tx, thread, doomed);
            await collectGarbage(tx, thread);
          }
        },
        "saver.deleteForRuns",
      );
    },

    /**
     * Threads newest first by their newest checkpoint (any namespace), with that checkpoint's
     * header bytes (its timestamp) and the metadata of the thread's newest root checkpoint.
     */
    async listThreads(request: SaverListThreadsRequest = {}): Promise<SaverThreadInfo[]> {
      assertListThreads(request);
      const limit = request.limit ?? Infinity;
      return db.read(
        ["meta", "blobs"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          // Two requests per thread, however many checkpoints each has: a cursor over the
          // per-thread index jumps from each thread's first key to the next thread's, and the
          // thread's last key is its newest checkpoint. (Walking every checkpoint in id order took
          // 0.6 s for a thread list over 10,000 checkpoints: test/bench/scale.bench.test.ts. The
          // jump is made forwards: Chromium walks a backward jump key by key.)
          const newest: Array<[thread: string, ns: string, id: string]> = [];
          let cursor = limit > 0 ? await meta.openKeyCursor(prefixRange([S, "ti"])) : null;
          while (cursor) {
            const thread = (cursor.key as Key)[2] as string;
            const last = await meta.openKeyCursor(prefixRange([S, "ti", thread]), "prev");
            const [, , , id, ns] = last!.key as [string, string, string, string, string];
            newest.push([thread, ns, id]);
            cursor = await cursor.continue([S, "ti", thread, MAX_KEY]);
          }
          // Newest first, as the ids order them; a copied thread shares its source's ids.
          newest.sort((a, b) => (a[2] === b[2] ? (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0) : a[2] < b[2] ? 1 : -1));
          return Promise.all(
            newest.slice(0, limit).map(async ([threadId, ns, id]): Promise<SaverThreadInfo> => {
              const last = loadCheckpoint(await meta.get(cpKey(threadId, ns, id)));
              const root = await meta.openCursor(prefixRange([S, "cp", threadId, ""]), "prev");
              const rootRow = root ? loadCheckpoint(root.value) : last;
              const checkpoint: SerializedValue = [last.checkpoint.type, await payloads.get(tx, last.checkpoint.ref)];
              return {
                threadId,
                lastCheckpointId: id,
                lastNs: ns,
                lastCheckpoint: checkpoint,
                rootCheckpointId: root ? (root.key as Key)[4] as string : id,
                metadata: rootRow.metadata,
              };
            }),
          );
        },
        "saver.listThreads",
      );
    },
  };
}
