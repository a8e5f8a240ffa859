import { WRITES_IDX_MAP, type BaseCheckpointSaver, type Checkpoint, type CheckpointMetadata, type PendingWrite } from "@langchain/langgraph-checkpoint";
import { DeltaBook, ProtocolError, type WireChange, type WireValue, type WireWrite } from "../sync/protocol.js";

/**
 * A pushed change, decoded into what a LangGraph checkpointer's put / putWrites / deleteThread
 * take. Decoding every change of a push happens before any of them is applied, so a push whose
 * tenth change is broken writes nothing.
 */
export type SaverCall =
  | { kind: "put"; threadId: string; ns: string; parentId?: string; checkpoint: Checkpoint; metadata: CheckpointMetadata; newVersions: Record<string, string | number>; writes: WireWrite[] }
  | { kind: "writes"; threadId: string; ns: string; checkpointId: string; writes: WireWrite[] }
  | { kind: "delete"; threadId: string };

type Serde = BaseCheckpointSaver["serde"];

async function load(serde: Serde, value: WireValue, what: string): Promise<unknown> {
  try {
    return await serde.loadsTyped(value[0], value[1]);
  } catch {
    throw new ProtocolError(`${what} does not deserialize`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

export async function decodeChanges(serde: Serde, changes: WireChange[]): Promise<SaverCall[]> {
  const book = new DeltaBook();
  const calls: SaverCall[] = [];
  for (const [i, c] of changes.entries()) {
    const at = `changes[${i}]`;
    if (c.kind === "tombstone") {
      calls.push({ kind: "delete", threadId: c.threadId });
      continue;
    }
    if (c.kind === "writes") {
      await Promise.all(c.writes.map((w, j) => load(serde, w.value, `${at}.writes[${j}]`)));
      calls.push({ kind: "writes", threadId: c.threadId, ns: c.ns, checkpointId: c.checkpointId, writes: c.writes });
      continue;
    }
    const header = await load(serde, c.checkpoint, `${at}.checkpoint`);
    const metadata = await load(serde, c.metadata, `${at}.metadata`);
    if (!isPlainObject(header)) throw new ProtocolError(`${at}.checkpoint is not a checkpoint`);
    if (!isPlainObject(metadata)) throw new ProtocolError(`${at}.metadata is not an object`);
    const values: Record<string, unknown> = {};
    const newVersions: Record<string, string | number> = {};
    for (const b of c.blobs) {
      if (c.channelVersions[b.channel] !== b.version) throw new ProtocolError(`${at}: blob ${b.channel}@${b.version} is not a version of the checkpoint`);
      const full = book.decode(c.threadId, c.ns, b);
      newVersions[b.channel] = b.version;
      if (full) values[b.channel] = await load(serde, full, `${at}.blobs ${b.channel}`);
    }
    await Promise.all(c.writes.map((w, j) => load(serde, w.value, `${at}.writes[${j}]`)));
    const checkpoint = { ...header, id: c.checkpointId, channel_versions: { ...c.channelVersions }, channel_values: values } as unknown as Checkpoint;
    calls.push({ kind: "put", threadId: c.threadId, ns: c.ns, parentId: c.parentId, checkpoint, metadata: metadata as CheckpointMetadata, newVersions, writes: c.writes });
  }
  return calls;
}

/**
 * One task's writes in the order LangGraph's putWrites numbers them: regular writes by their
 * index, then the special channels (which take their fixed negative index from the channel).
 */
function byTask(writes: WireWrite[]): Map<string, WireWrite[]> {
  const tasks = new Map<string, WireWrite[]>();
  for (const w of writes) {
    const list = tasks.get(w.taskId) ?? [];
    list.push(w);
    tasks.set(w.taskId, list);
  }
  for (const list of tasks.values()) {
    list.sort((a, b) => (a.idx < 0 ? 1 : 0) - (b.idx < 0 ? 1 : 0) || a.idx - b.idx);
  }
  return tasks;
}

async function putWrites(saver: BaseCheckpointSaver, threadId: string, ns: string, checkpointId: string, writes: WireWrite[]): Promise<void> {
  const config = { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpointId } };
  for (const [taskId, list] of byTask(writes)) {
    const pending: PendingWrite[] = await Promise.all(list.map(async (w) => [w.channel, await saver.serde.loadsTyped(w.value[0], w.value[1])] as PendingWrite));
    // Regular writes go in one call each batch, specials one by one: a saver numbers regular
    // writes by their position, and specials replace by their fixed index.
    const regular = pending.filter(([channel]) => !(channel in WRITES_IDX_MAP));
    const special = pending.filter(([channel]) => channel in WRITES_IDX_MAP);
    if (regular.length > 0) await saver.putWrites(config, regular, taskId, list[0].taskPath);
    for (const s of special) await saver.putWrites(config, [s], taskId, list[0].taskPath);
  }
}

/** Applies decoded calls in order. Every call is idempotent, so a push retried after a failure halfway is safe. */
export async function applyCalls(saver: BaseCheckpointSaver, calls: SaverCall[]): Promise<void> {
  for (const c of calls) {
    if (c.kind === "delete") {
      await saver.deleteThread(c.threadId);
    } else if (c.kind === "writes") {
      await putWrites(saver, c.threadId, c.ns, c.checkpointId, c.writes);
    } else {
      const config = { configurable: { thread_id: c.threadId, checkpoint_ns: c.ns, ...(c.parentId !== undefined ? { checkpoint_id: c.parentId } : {}) } };
      await saver.put(config, c.checkpoint, c.metadata, c.newVersions);
      if (c.writes.length > 0) await putWrites(saver, c.threadId, c.ns, c.checkpoint.id, c.writes);
    }
  }
}
