import type { EngineContext } from "./context.js";
import { prefixRange, type ReadTx } from "./db.js";
import { assertPutWritesRequest } from "./saver-validate.js";
import { S, SaverReader, blobKey, cpKey, loadBlob, loadCheckpoint, type CheckpointRow } from "./saver-rows.js";
import { createSaverStore } from "./saver-store.js";
import { Y, logKey, logRange, markKey, type LoggedChange } from "./saver-changes.js";
import { DeltaBook, type WireBlob, type WireChange, type WireWrite } from "../src/sync/protocol.js";
import type { ExportRequest, SaverSync } from "../src/sync/store-types.js";
import { assertCount, assertId, assertString } from "../src/validate.js";
import { invalid } from "../src/errors.js";

/**
 * The sync client's access to the saver (see src/sync/store-types.ts). Exporting reads each
 * logged checkpoint's rows directly: only the channel values whose version differs from the
 * parent's, each as a delta against the value of its channel sent before it in the batch.
 */
export function createSyncStore(ctx: EngineContext): SaverSync {
  const { db, payloads } = ctx;
  const reader = new SaverReader(payloads);
  const remote = createSaverStore({ ...ctx, changeOrigin: "remote" });

  async function writesOf(tx: ReadTx, thread: string, ns: string, id: string): Promise<WireWrite[]> {
    const rows = await reader.sortedWriteRows(tx, thread, ns, id);
    return Promise.all(rows.map((w) => reader.write(tx, w)));
  }

  async function blobs(tx: ReadTx, book: DeltaBook, thread: string, ns: string, row: CheckpointRow, parent?: CheckpointRow): Promise<WireBlob[]> {
    const meta = tx.objectStore("meta");
    const out: WireBlob[] = [];
    for (const [channel, version] of Object.entries(row.channelVersions)) {
      if (parent && parent.channelVersions[channel] === version) continue;
      const blob = loadBlob(await meta.get(blobKey(thread, ns, channel, version)));
      if (!blob) continue; // a version no put stored a value for (LangGraph names it in an earlier put)
      const value = blob.ref && blob.type !== undefined ? ([blob.type, await payloads.get(tx, blob.ref)] as [string, Uint8Array]) : null;
      out.push(book.encode(thread, ns, channel, version, value));
    }
    return out;
  }

  return {
    async enable() {
      await db.write(["meta"], async (tx) => {
        const meta = tx.objectStore("meta");
        if ((await meta.count(logKey(0))) === 0) await meta.put(["enabled"], logKey(0));
      }, "sync.enable");
    },

    async exportChanges(r: ExportRequest) {
      assertCount(r?.after, "after");
      assertCount(r.maxChanges, "maxChanges", 1);
      assertCount(r.maxBytes, "maxBytes", 1);
      if (r.threads !== undefined && (!Array.isArray(r.threads) || !r.threads.every((t) => typeof t === "string"))) throw invalid("threads must be an array of strings");
      const only = r.threads && new Set(r.threads);
      return db.read(["meta", "blobs"], async (tx) => {
        const meta = tx.objectStore("meta");
        const book = new DeltaBook();
        const changes: WireChange[] = [];
        const sent = new Set<string>();
        let last = r.after;
        let bytes = 0;
        let cursor = await meta.openCursor(logRange(r.after));
        while (cursor && changes.length < r.maxChanges && bytes < r.maxBytes) {
          const seq = cursor.key[2] as number;
          const entry = cursor.value as LoggedChange;
          last = seq;
          if (only && !only.has(entry[1])) {
            cursor = await cursor.continue();
            continue;
          }
          if (entry[0] === "tombstone") {
            changes.push({ kind: "tombstone", threadId: entry[1] });
          } else {
            const [kind, thread, ns, id] = entry;
            const key = JSON.stringify([thread, ns, id]);
            const stored = await meta.get(cpKey(thread, ns, id));
            if (kind === "writes" && !sent.has(key)) {
              const writes = await writesOf(tx, thread, ns, id);
              bytes += writes.reduce((n, w) => n + w.value[1].length, 0);
              if (writes.length > 0) changes.push({ kind: "writes", threadId: thread, ns, checkpointId: id, writes });
            } else if (kind === "checkpoint" && stored && !sent.has(key)) {
              sent.add(key);
              const row = loadCheckpoint(stored);
              const parentStored = row.parentId !== undefined ? await meta.get(cpKey(thread, ns, row.parentId)) : undefined;
              const [checkpoint, blobList, writes] = [
                await payloads.get(tx, row.checkpoint.ref),
                await blobs(tx, book, thread, ns, row, parentStored && loadCheckpoint(parentStored)),
                await writesOf(tx, thread, ns, id),
              ];
              bytes += checkpoint.length + row.metadata[1].length + blobList.reduce((n, b) => n + (b.value?.[1].length ?? 0), 0);
              changes.push({
                kind: "checkpoint",
                threadId: thread,
                ns,
                checkpointId: id,
                ...(row.parentId !== undefined ? { parentId: row.parentId } : {}),
                v: row.v,
                checkpoint: [row.checkpoint.type, checkpoint],
                metadata: row.metadata,
                channelVersions: row.channelVersions,
                blobs: blobList,
                writes,
              });
            }
          }
          cursor = await cursor.continue();
        }
        return { changes, last, more: cursor !== null };
      }, "sync.exportChanges");
    },

    async pendingCount(after) {
      assertCount(after, "after");
      return db.read(["meta"], (tx) => tx.objectStore("meta").count(logRange(after)), "sync.pendingCount");
    },

    async trim(upTo) {
      assertCount(upTo, "upTo");
      // Row 0 stays (it keeps the log on), and so does row `upTo`: the next change is numbered
      // after the last row, and must not take a number that was already pushed.
      if (upTo > 1) await db.write(["meta"], (tx) => tx.objectStore("meta").delete(IDBKeyRange.bound([Y, "cl", 1], [Y, "cl", upTo], false, true)), "sync.trim");
    },

    put: async (r) => void (await remote.put(r)),
    async putWrites(r) {
      assertPutWritesRequest(r);
      // A checkpointer's tuple does not say at which index a write was put, so a server numbers
      // a task's regular writes afresh; when this device has the task's writes already (it ran
      // the task), the copies would land beside them. Special writes replace by their fixed index.
      const range = prefixRange([S, "wr", r.threadId, r.ns, r.checkpointId, r.taskId]);
      const present = await db.read(["meta"], (tx) => tx.objectStore("meta").getAllKeys(range), "sync.putWrites");
      const ran = present.some((k) => (k[6] as number) >= 0);
      const writes = ran ? r.writes.filter((w) => w.idx < 0) : r.writes;
      if (writes.length > 0) await remote.putWrites({ ...r, writes });
    },
    deleteThread: (t) => remote.deleteThread(t),

    async has(refs) {
      if (!Array.isArray(refs)) throw invalid("refs must be an array");
      refs.forEach((ref, i) => {
        if (!Array.isArray(ref) || ref.length !== 3) throw invalid(`refs[${i}] must be [threadId, ns, checkpointId]`);
        assertId(ref[0], `refs[${i}][0]`);
        assertString(ref[1], `refs[${i}][1]`);
        assertId(ref[2], `refs[${i}][2]`);
      });
      return db.read(["meta"], (tx) => Promise.all(refs.map(async ([t, ns, id]) => (await tx.objectStore("meta").count(cpKey(t, ns, id))) > 0)), "sync.has");
    },

    async getMark(name) {
      assertId(name, "name");
      return db.read(["meta"], (tx) => tx.objectStore("meta").get(markKey(name)), "sync.getMark");
    },

    async setMark(name, value) {
      assertId(name, "name");
      if (typeof value !== "string" && !(typeof value === "number" && Number.isFinite(value))) throw invalid("a mark is a string or a finite number");
      await db.write(["meta"], (tx) => tx.objectStore("meta").put(value, markKey(name)), "sync.setMark");
    },
  };
}
