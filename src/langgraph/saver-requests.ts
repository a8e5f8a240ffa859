import { WRITES_IDX_MAP, copyCheckpoint, type ChannelVersions, type Checkpoint, type CheckpointMetadata, type PendingWrite, type SerializerProtocol } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { SaverBlob, SaverPutRequest, SaverPutWritesRequest, SaverWriteOp } from "../types.js";
import { canonicalJson } from "../canonical-json.js";

/**
 * The requests IndexedDBSaver sends the store for LangGraph's put and putWrites: serialized here,
 * on the calling side (the serde's `dumpsTyped`), so only `[type, bytes]` pairs cross to the worker.
 *
 * A checkpoint as the store takes it. `newVersions` names the channels whose values changed since
 * the parent; without it every versioned value is sent, and the store keeps each (channel,
 * version) once as before.
 */
export async function putRequest(serde: SerializerProtocol, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions?: ChannelVersions): Promise<SaverWriteOp> {
  const threadId: string = config.configurable?.thread_id;
  const ns: string = config.configurable?.checkpoint_ns ?? "";
  // The runtime keeps mutating its checkpoint object: serialize a copy.
  const { channel_values: values, ...header } = copyCheckpoint(checkpoint);
  const versions = header.channel_versions ?? {};
  // Values of channels without a version (`__pregel_tasks: []`, `messages: []` before the first
  // message) have no blob to live in: they travel inside the checkpoint's own bytes.
  const unversioned: Record<string, unknown> = {};
  for (const [channel, value] of Object.entries(values ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(versions, channel)) unversioned[channel] = value;
  }
  const blobs: SaverBlob[] = await Promise.all(
    Object.entries(newVersions ?? versions).map(async ([channel, version]) => ({
      channel,
      version,
      // A channel without a value is recorded as such, so reads do not look further back.
      value: Object.prototype.hasOwnProperty.call(values, channel) ? await serde.dumpsTyped(values[channel]) : null,
    })),
  );
  const metadataIndex: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (value !== undefined) metadataIndex[key] = canonicalJson(value);
  }
  const parentId: string | undefined = config.configurable?.checkpoint_id || undefined;
  // LangGraph.js keeps a run's id in its config, not in the checkpoint's metadata.
  const runId: unknown = config.metadata?.run_id;
  const put: SaverPutRequest = {
    threadId,
    ns,
    checkpointId: checkpoint.id,
    ...(parentId !== undefined ? { parentId } : {}),
    v: checkpoint.v,
    // The id (the checkpoint's key) and channel_versions (stored as channelVersions, which the
    // store needs to find values) are put back on read: in the checkpoint's bytes too they
    // would be stored twice, in every checkpoint.
    checkpoint: await serde.dumpsTyped({
      ...omit(header, "id", "channel_versions"),
      ...(Object.keys(unversioned).length > 0 ? { channel_values: unversioned } : {}),
    }),
    metadata: await serde.dumpsTyped(metadata),
    metadataIndex,
    channelVersions: { ...versions },
    blobs,
  };
  // The walk of getDeltaChannelHistory stops at a value kept without a version, as at a blob.
  const carried = Object.keys(unversioned).filter((channel) => unversioned[channel] !== undefined);
  if (carried.length > 0) put.unversioned = carried;
  if (typeof runId === "string" && runId !== "" && (metadata as { run_id?: unknown } | undefined)?.run_id === undefined) put.runId = runId;
  return { put };
}

/** A task's writes as the store takes them, each in its slot. */
export async function putWritesRequest(serde: SerializerProtocol, config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<SaverWriteOp> {
  const threadId: string = config.configurable?.thread_id;
  const checkpointId: string = config.configurable?.checkpoint_id;
  const putWrites: SaverPutWritesRequest = {
    threadId,
    ns: config.configurable?.checkpoint_ns ?? "",
    checkpointId,
    taskId,
    taskPath: taskPath ?? "",
    writes: await Promise.all(
      writes.map(async ([channel, value], idx) => ({
        // Special channels have fixed negative slots, so a newer error/interrupt replaces the older.
        idx: Object.hasOwn(WRITES_IDX_MAP, channel) ? WRITES_IDX_MAP[channel] : idx,
        channel,
        value: await serde.dumpsTyped(value),
      })),
    ),
  };
  return { putWrites };
}

function omit<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const k of keys) delete copy[k];
  return copy;
}
