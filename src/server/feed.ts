import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { ProtocolError } from "../sync/protocol.js";

/**
 * What changed on the server, in the order it happened: the pull side of the protocol reads it
 * after a cursor. A checkpointer has no such feed of its own, and the server's own graph writes
 * to the checkpointer directly, so the feed must see every write, not only the handler's:
 * `postgresChangeFeed` records them with triggers on PostgresSaver's tables, `watchSaver` wraps
 * the methods of any other checkpointer object (MemorySaver in tests and small servers).
 */
export type FeedChange = { kind: "checkpoint" | "writes"; threadId: string; ns: string; checkpointId: string } | { kind: "tombstone"; threadId: string };
export type FeedEntry = FeedChange & { cursor: string };

export interface ChangeFeed {
  /** Entries after `cursor` (all when absent), oldest first, at most `limit`. A cursor it never gave: ProtocolError. */
  read(cursor: string | undefined, limit: number): Promise<FeedEntry[]>;
}

/**
 * A feed in memory over a checkpointer object: its put, putWrites and deleteThread are wrapped
 * in place, so every caller of that object (the handler, a graph compiled on it) is seen. Lost
 * when the process ends: for tests and single-process servers whose checkpointer is in memory too.
 */
export function watchSaver(saver: BaseCheckpointSaver): ChangeFeed {
  const log: FeedChange[] = [];
  const put = saver.put.bind(saver);
  const putWrites = saver.putWrites.bind(saver);
  const deleteThread = saver.deleteThread.bind(saver);
  saver.put = async (config, checkpoint, metadata, newVersions) => {
    const result = await put(config, checkpoint, metadata, newVersions);
    log.push({ kind: "checkpoint", threadId: config.configurable?.thread_id, ns: config.configurable?.checkpoint_ns ?? "", checkpointId: checkpoint.id });
    return result;
  };
  saver.putWrites = async (config, writes, taskId, taskPath) => {
    await putWrites(config, writes, taskId, taskPath);
    log.push({ kind: "writes", threadId: config.configurable?.thread_id, ns: config.configurable?.checkpoint_ns ?? "", checkpointId: config.configurable?.checkpoint_id });
  };
  saver.deleteThread = async (threadId) => {
    await deleteThread(threadId);
    log.push({ kind: "tombstone", threadId });
  };
  // Cursors carry this log's epoch: a cursor from before a restart (another log) starts over
  // from the beginning, which is safe because applying a change twice changes nothing.
  const epoch = Math.random().toString(36).slice(2, 10);
  return {
    async read(cursor, limit) {
      // "0": the start, as the handler answers a pull that found nothing yet.
      const m = cursor === undefined || cursor === "0" ? undefined : /^([a-z0-9]+):(\d{1,15})$/.exec(cursor);
      if (cursor !== undefined && cursor !== "0" && !m) throw new ProtocolError("cursor is not one this server gave");
      const from = m && m[1] === epoch ? Number(m[2]) : 0;
      return log.slice(from, from + limit).map((e, i) => ({ ...e, cursor: `${epoch}:${from + i + 1}` }));
    },
  };
}
