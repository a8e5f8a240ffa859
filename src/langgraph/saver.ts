import {
  BaseCheckpointSaver,
  TASKS,
  getCheckpointId,
  maxChannelVersion,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { CheckpointSaver, SaverWriteOp, SerializedValue, StoredSaverTuple, StoredWrite } from "../types.js";
import { WriteQueue } from "./write-queue.js";
import { putRequest, putWritesRequest } from "./saver-requests.js";
import { RecentTuples, addressOf } from "./recent-tuples.js";
import { canonicalJson } from "../canonical-json.js";
import { invalid } from "../errors.js";
import type { IndexedDBSaverOptions, SaverHost, ThreadSummary } from "./saver-types.js";

export { canonicalJson };

export type { IndexedDBSaverOptions, SaverHost, ThreadSummary } from "./saver-types.js";

interface Address {
  threadId: string;
  ns: string;
}

const MISSING_THREAD =
  'The RunnableConfig is missing a "thread_id" in its "configurable" property; a checkpointer needs one, e.g. graph.invoke(input, { configurable: { thread_id: "chat-1" } })';

/**
 * LangGraph.js checkpointer over the library's bytes-level saver. Serialization (the serde's
 * `dumpsTyped`) runs here, on the calling side; only `[type, bytes]` pairs cross to the worker,
 * and the type tag is stored with the bytes so `loadsTyped` gets it back.
 */
export class IndexedDBSaver extends BaseCheckpointSaver {
  private readonly store: CheckpointSaver;
  private readonly queue: WriteQueue;
  /** The store's name, which runThread's cross-tab lock is scoped to. */
  readonly storeName: string;
  private readonly pipeline: boolean;
  /** Pipelined only: what this saver's writes still on their way will have stored. */
  private readonly recent?: RecentTuples;
  /** Settles once every write pushed so far is in `recent`, in the order they were pushed. */
  private recorded: Promise<void> = Promise.resolve();

  constructor(store: SaverHost, options: IndexedDBSaverOptions = {}) {
    super(options.serde);
    if (!store || typeof store !== "object" || !store.saver) throw invalid("IndexedDBSaver needs a store from openStore or openEngine");
    const saver = store.saver;
    this.store = saver;
    this.storeName = typeof store.name === "string" && store.name !== "" ? store.name : "default";
    this.pipeline = options.pipeline === true;
    if (this.pipeline) this.recent = new RecentTuples();
    this.queue = new WriteQueue(
      (ops) => saver.batch(ops),
      (op) => ("put" in op ? saver.put(op.put) : saver.putWrites(op.putWrites)),
    );
  }

  /**
   * Resolves once the writes made so far, and any that settling them set off (LangGraph chains a
   * checkpoint's put behind the one before), are stored or have failed. runThread waits for it
   * before another run may start on the thread, also after a run was stopped midway.
   */
  async flush(): Promise<void> {
    for (;;) {
      const last = this.queue.settled();
      await last;
      await new Promise((r) => setTimeout(r, 0));
      if (this.queue.settled() === last) break;
    }
    const failure = this.unreported;
    this.unreported = undefined;
    if (failure !== undefined) throw failure;
  }

  /** The first failure of a pipelined write since the last flush, which reports it. */
  private unreported: unknown;

  /** Queues a write; resolves when it is stored, or once it is queued when pipelining. */
  private async write(op: Promise<SaverWriteOp>, threadId: string, ns: string): Promise<void> {
    const stored = this.queue.push(op, addressOf(threadId, ns));
    if (!this.pipeline) return stored;
    const recent = this.recent!;
    recent.touch(threadId, ns);
    this.recorded = this.recorded
      .then(() => op)
      .then((o) => ("put" in o ? recent.put(o.put) : recent.putWrites(o.putWrites)), () => {});
    stored.catch((e: unknown) =>
      op.then(
        () => {
          recent.forget(threadId, ns);
          this.unreported ??= e;
        },
        // Its serialization failed: the caller has that error already.
        () => {},
      ),
    );
    // Serialization errors still reach the caller; storage errors reach flush().
    await op;
  }

  /**
   * Reads see every write made before them: they wait for the writes still queued, or, for a
   * read of one thread and namespace, for those made to it (a subgraph starting need not wait
   * for its parent's writes).
   */
  private async reading(threadId?: string, ns?: string): Promise<CheckpointSaver> {
    await this.queue.settled(threadId === undefined || ns === undefined ? undefined : addressOf(threadId, ns));
    return this.store;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id;
    if (threadId === undefined) return undefined;
    const ns: string = config.configurable?.checkpoint_ns ?? "";
    const checkpointId = getCheckpointId(config) || undefined;
    const recent = this.recent;
    if (recent && this.queue.pending(addressOf(threadId, ns))) {
      // This saver's own writes to the thread are on their way: answer with what they store.
      await this.recorded;
      const known = recent.answer(threadId, ns, checkpointId);
      if (known) return this.asAsked(config, checkpointId, await this.toTuple(known));
    }
    const store = await this.reading(threadId, ns);
    const generation = recent?.generation(threadId, ns);
    const stored = await store.getTuple({ threadId, ns, checkpointId });
    if (recent && checkpointId === undefined) recent.seed(threadId, ns, generation!, stored);
    return stored && this.asAsked(config, checkpointId, await this.toTuple(stored));
  }

  /** Asked for by id, a tuple carries the config it was asked with (its other keys too), as MemorySaver's does. */
  private asAsked(config: RunnableConfig, checkpointId: string | undefined, tuple: CheckpointTuple): CheckpointTuple {
    if (checkpointId !== undefined) tuple.config = config;
    return tuple;
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const c = config.configurable ?? {};
    const filter: Record<string, string> = {};
    // A key asked to be undefined matches checkpoints whose metadata lacks it, as in MemorySaver.
    const absent: string[] = [];
    for (const [key, value] of Object.entries(options.filter ?? {})) {
      if (value === undefined) absent.push(key);
      else filter[key] = canonicalJson(value);
    }
    // One round trip and one read transaction; the tuples are yielded after it has committed.
    const stored = await (await this.reading()).list({
      threadId: c.thread_id,
      ns: c.checkpoint_ns,
      checkpointId: c.checkpoint_id || undefined,
      before: options.before?.configurable?.checkpoint_id || undefined,
      limit: options.limit,
      filter: options.filter ? filter : undefined,
      ...(absent.length > 0 ? { absent } : {}),
    });
    for (const tuple of stored) yield await this.toTuple(tuple);
  }

  /**
   * `newVersions` names the channels whose values changed since the parent; without it (savers
   * that subclass a checkpointer call `super.put(config, checkpoint, metadata)`) every versioned
   * value is sent, and the store keeps each (channel, version) once as before.
   */
  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions?: ChannelVersions): Promise<RunnableConfig> {
    const threadId = config.configurable?.thread_id;
    if (threadId === undefined) throw invalid(`Failed to put checkpoint. ${MISSING_THREAD}`);
    const ns: string = config.configurable?.checkpoint_ns ?? "";
    await this.write(putRequest(this.serde, config, checkpoint, metadata, newVersions), threadId, ns);
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const threadId = config.configurable?.thread_id;
    const checkpointId = config.configurable?.checkpoint_id;
    if (threadId === undefined) throw invalid(`Failed to put writes. ${MISSING_THREAD}`);
    if (checkpointId === undefined) throw invalid('Failed to put writes. The RunnableConfig is missing a "checkpoint_id" in its "configurable" property.');
    await this.write(putWritesRequest(this.serde, config, writes, taskId, taskPath), threadId, config.configurable?.checkpoint_ns ?? "");
  }

  async deleteThread(threadId: string): Promise<void> {
    await (await this.reading()).deleteThread(threadId).finally(() => this.recent?.forgetThread(threadId));
  }

  /**
   * Copies every checkpoint of `source` (all namespaces, same checkpoint ids, pending writes and
   * metadata) to `target`, which must have none (else CONFLICT). Storage is shared by content,
   * so a copy costs little; the two threads then go their own ways.
   */
  async copyThread(source: string, target: string): Promise<void> {
    await (await this.reading()).copyThread(source, target).finally(() => this.recent?.forgetThread(target));
  }

  /**
   * "keep_latest" (default): each namespace of each thread keeps its newest checkpoint and its
   * pending writes, so the threads resume as before but have no history; "delete": the threads
   * are deleted. Channel values and writes no kept checkpoint needs are freed.
   */
  async prune(threadIds: string[], options: { strategy?: "keep_latest" | "delete" } = {}): Promise<void> {
    await (await this.reading()).prune(threadIds, options).finally(() => threadIds.forEach((t) => this.recent?.forgetThread(t)));
  }

  /**
   * Deletes the checkpoints (and their writes) made by these runs, in every thread: a run's id
   * is its config's `metadata.run_id` (`graph.invoke(input, { configurable, metadata: { run_id } })`),
   * or `run_id` in the checkpoint's metadata.
   */
  async deleteForRuns(runIds: string[]): Promise<void> {
    await (await this.reading()).deleteForRuns(runIds).finally(() => this.recent?.clear());
  }

  /** The threads, most recently updated first, with the metadata of each one's newest checkpoint. */
  async listThreads(options: { limit?: number } = {}): Promise<ThreadSummary[]> {
    const found = await (await this.reading()).listThreads(options);
    return Promise.all(
      found.map(async (t): Promise<ThreadSummary> => {
        const last = (await this.load(t.lastCheckpoint)) as { ts?: string };
        return {
          threadId: t.threadId,
          updatedAt: typeof last.ts === "string" ? last.ts : "",
          checkpointId: t.rootCheckpointId,
          metadata: (await this.load(t.metadata)) as CheckpointMetadata,
        };
      }),
    );
  }

  /**
   * Channel values are stored once per (channel, version), so a version must name one value.
   * Plain counters do not: two branches forked from one checkpoint both make version n + 1 with
   * different values. As LangGraph's Python Postgres saver does, a random part after the zero-padded
   * counter keeps versions of different branches apart; they still sort by the counter first
   * (as strings, which the zero padding makes agree with the numbers).
   * The runtime takes string versions (ChannelVersion is number | string), but the base class's
   * type parameter defaults to number, which is what `compile({ checkpointer })` asks for.
   */
  override getNextVersion(current: number | undefined): number {
    const c: unknown = current;
    const n = typeof c === "number" ? c : typeof c === "string" ? Number.parseInt(c.split(".")[0], 10) || 0 : 0;
    // Ten digits (ten billion versions of a channel) and eight base-36 characters (41 random bits)
    // are plenty for one thread, and versions recur in every key and checkpoint, so length is bytes.
    const random = Math.random().toString(36).slice(2, 10).padEnd(8, "0");
    return `${String(n + 1).padStart(10, "0")}.${random}` as unknown as number;
  }

  /** The whole ancestor walk as one call to the store, so one worker round trip. */
  override async getDeltaChannelHistory(options: { config: RunnableConfig; channels: string[] }): Promise<Record<string, DeltaChannelHistory>> {
    const { config, channels } = options;
    if (channels.length === 0) return {};
    const threadId = config.configurable?.thread_id;
    if (threadId === undefined) return Object.fromEntries(channels.map((c) => [c, { writes: [] }]));
    const stored = await (await this.reading()).getDeltaChannelHistory({
      threadId,
      ns: config.configurable?.checkpoint_ns ?? "",
      checkpointId: getCheckpointId(config) || undefined,
      channels,
    });
    const result: Record<string, DeltaChannelHistory> = {};
    for (const channel of channels) {
      const h = (Object.hasOwn(stored, channel) && stored[channel]) || { writes: [] };
      const entry: DeltaChannelHistory = { writes: await this.loadWrites(h.writes) };
      if (h.seed !== undefined) entry.seed = await this.load(h.seed);
      else if (h.seedIn !== undefined) entry.seed = ((await this.load(h.seedIn)) as Checkpoint).channel_values?.[channel];
      result[channel] = entry;
    }
    return result;
  }

  private load(value: SerializedValue): Promise<unknown> {
    return this.serde.loadsTyped(value[0], value[1]);
  }

  private loadWrites(writes: StoredWrite[]): Promise<CheckpointPendingWrite[]> {
    return Promise.all(writes.map(async (w): Promise<CheckpointPendingWrite> => [w.taskId, w.channel, await this.load(w.value)]));
  }

  private async toTuple(t: StoredSaverTuple): Promise<CheckpointTuple> {
    const checkpoint = (await this.load(t.checkpoint)) as Checkpoint;
    checkpoint.id = t.checkpointId;
    // Unversioned values came back inside the checkpoint's bytes; versioned ones from their blobs.
    const channelValues: Record<string, unknown> = { ...(checkpoint.channel_values ?? {}) };
    for (const [channel, value] of Object.entries(t.channelValues)) channelValues[channel] = await this.load(value);
    checkpoint.channel_values = channelValues;
    checkpoint.channel_versions = { ...t.channelVersions };
    if (t.parentSends) this.migratePendingSends(checkpoint, await Promise.all(t.parentSends.map((w) => this.load(w.value))));
    const address: Address = { threadId: t.threadId, ns: t.ns };
    const tuple: CheckpointTuple = {
      config: configOf(address, t.checkpointId),
      checkpoint,
      metadata: (await this.load(t.metadata)) as CheckpointMetadata,
      pendingWrites: await this.loadWrites(t.pendingWrites),
    };
    if (t.parentId !== undefined) tuple.parentConfig = configOf(address, t.parentId);
    return tuple;
  }

  /** Format < 4 kept pending sends as the parent's TASKS writes; newer code expects a channel. */
  private migratePendingSends(checkpoint: Checkpoint, sends: unknown[]): void {
    const versions = Object.values(checkpoint.channel_versions ?? {});
    checkpoint.channel_values[TASKS] = sends;
    checkpoint.channel_versions ??= {};
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }
}

function configOf(a: Address, checkpointId: string): RunnableConfig {
  return { configurable: { thread_id: a.threadId, checkpoint_ns: a.ns, checkpoint_id: checkpointId } };
}
