import { WRITES_IDX_MAP, type BaseCheckpointSaver, type CheckpointTuple } from "@langchain/langgraph-checkpoint";
import { DeltaBook, type WireBlob, type WireChange, type WireCheckpoint, type WireWrite } from "../sync/protocol.js";
import type { FeedEntry } from "./feed.js";

/**
 * Turns change-feed entries into the changes of a pull response, reading each checkpoint from
 * the saver as it is now. A checkpoint's header travels in the form IndexedDBSaver stores it
 * (without channel_values, id and channel_versions); a channel value only when its version
 * differs from the parent's, where the parent went out earlier in the same response, and then
 * as a delta against that earlier value.
 */
export class PullEncoder {
  private readonly book = new DeltaBook();
  /** Channel versions of the checkpoints this response carries, by thread/ns/id. */
  private readonly sent = new Map<string, Record<string, string | number>>();
  /** Checkpoints whose writes this response carries already (one feed row per write). */
  private readonly wrote = new Set<string>();
  readonly changes: WireChange[] = [];

  constructor(
    private readonly saver: BaseCheckpointSaver,
    private readonly known: ReadonlySet<string>,
  ) {}

  private get serde() {
    return this.saver.serde;
  }

  private async tuple(threadId: string, ns: string, checkpointId: string): Promise<CheckpointTuple | undefined> {
    return this.saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpointId } });
  }

  private async writes(t: CheckpointTuple): Promise<WireWrite[]> {
    // A LangGraph tuple's writes carry no index and no task path: regular writes are numbered by
    // their order within the task, as putWrites numbered them; specials take their fixed index.
    const next = new Map<string, number>();
    return Promise.all(
      (t.pendingWrites ?? []).map(async ([taskId, channel, value]) => {
        let idx = WRITES_IDX_MAP[channel];
        if (idx === undefined) {
          idx = next.get(taskId) ?? 0;
          next.set(taskId, idx + 1);
        }
        const [type, bytes] = await this.serde.dumpsTyped(value);
        return { taskId, taskPath: "", idx, channel, value: [type, bytes] };
      }),
    );
  }

  async add(entry: FeedEntry): Promise<void> {
    if (entry.kind === "tombstone") {
      this.changes.push({ kind: "tombstone", threadId: entry.threadId });
      return;
    }
    const key = JSON.stringify([entry.threadId, entry.ns, entry.checkpointId]);
    if (entry.kind === "writes") {
      // The checkpoint or its writes went out in this response already, with the writes as they are now.
      if (this.sent.has(key) || this.wrote.has(key)) return;
      this.wrote.add(key);
      const t = await this.tuple(entry.threadId, entry.ns, entry.checkpointId);
      if (t && (t.pendingWrites?.length ?? 0) > 0) {
        this.changes.push({ kind: "writes", threadId: entry.threadId, ns: entry.ns, checkpointId: entry.checkpointId, writes: await this.writes(t) });
      }
      return;
    }
    if (this.sent.has(key) || this.known.has(entry.checkpointId)) return;
    const t = await this.tuple(entry.threadId, entry.ns, entry.checkpointId);
    if (!t) return; // deleted since; its tombstone follows in the feed
    const { channel_values: values, id: _id, channel_versions: versions, ...header } = t.checkpoint;
    const parentId = t.parentConfig?.configurable?.checkpoint_id as string | undefined;
    const parentVersions = parentId !== undefined ? this.sent.get(JSON.stringify([entry.threadId, entry.ns, parentId])) : undefined;
    const blobs: WireBlob[] = [];
    for (const [channel, version] of Object.entries(versions ?? {})) {
      if (parentVersions && parentVersions[channel] === version) continue;
      const value = Object.hasOwn(values, channel) ? await this.serde.dumpsTyped(values[channel]) : null;
      blobs.push(this.book.encode(entry.threadId, entry.ns, channel, version, value));
    }
    const change: WireCheckpoint = {
      kind: "checkpoint",
      threadId: entry.threadId,
      ns: entry.ns,
      checkpointId: entry.checkpointId,
      v: t.checkpoint.v,
      checkpoint: await this.serde.dumpsTyped(header),
      metadata: await this.serde.dumpsTyped(t.metadata ?? {}),
      channelVersions: { ...(versions ?? {}) },
      blobs,
      writes: await this.writes(t),
    };
    if (parentId !== undefined) change.parentId = parentId;
    this.sent.set(key, change.channelVersions);
    this.changes.push(change);
  }
}
