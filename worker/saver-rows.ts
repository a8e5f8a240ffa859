import type { Key, ReadTx } from "./db.js";
import { keysAndValues, prefixRange } from "./db.js";
import type { PayloadRef, Payloads } from "./payload/index.js";
import type { SerializedValue, StoredSaverTuple, StoredWrite } from "../src/types.js";
import { canonicalJson } from "../src/canonical-json.js";
import { compareWrites } from "../src/write-order.js";

/**
 * Row layout of the saver in the `meta` object store (first key element "s"):
 *   ["s","cp",thread,ns,id]            checkpoint header (CheckpointValue)
 *   ["s","ti",thread,id,ns]            per-thread index: a thread's checkpoints in id order
 *   ["s","gi",id,thread,ns]            global index: every checkpoint in id order
 *   ["s","bl",thread,ns,channel,ver]   one channel value per version (BlobValue)
 *   ["s","wr",thread,ns,id,task,idx]   one pending write (WriteValue)
 * Ids are time-ordered, so the two index rows make "newest first" a backwards key scan.
 *
 * Rows are stored as tuples, not objects: a chat writes several of these rows per step, and
 * field names would be repeated in every one (a third of a header's bytes). Nothing the key holds
 * is stored again in the value. The functions below are the only place that knows the positions;
 * rows written as objects by the first layout are still read.
 */
export const S = "s";

/** A checkpoint header as the store works with it. */
export interface CheckpointRow {
  parentId?: string;
  v: number;
  checkpoint: { type: string; ref: PayloadRef };
  metadata: SerializedValue;
  metadataIndex: Record<string, string>;
  channelVersions: Record<string, string | number>;
  /** Channels whose values travel inside the checkpoint's bytes, having no version. */
  unversioned?: string[];
}

/**
 * [v, checkpoint type, checkpoint ref, metadata type, metadata bytes, channel versions, parent id
 * or null, metadata index or null, unversioned channels]. The index is left out (null when the
 * channels follow) when it is what the metadata's JSON gives; the channels when there are none.
 */
type CheckpointValue = [number, string, PayloadRef, string, Uint8Array, Record<string, string | number>, string | null, (Record<string, string> | null)?, string[]?];

/** [type, ref]; [] when the channel had no value at this version. */
type BlobValue = [string, PayloadRef] | [];

/** [task path, channel, type, ref]; the task id and index are in the key. */
type WriteValue = [string, string, string, PayloadRef];

/** No ref: the channel had no value at this version. */
export interface BlobRow {
  type?: string;
  ref?: PayloadRef;
}

export interface WriteRow {
  taskId: string;
  taskPath: string;
  idx: number;
  channel: string;
  type: string;
  ref: PayloadRef;
}

export const cpKey = (thread: string, ns: string, id: string): Key => [S, "cp", thread, ns, id];
export const threadIndexKey = (thread: string, ns: string, id: string): Key => [S, "ti", thread, id, ns];
export const globalIndexKey = (thread: string, ns: string, id: string): Key => [S, "gi", id, thread, ns];
export const blobKey = (thread: string, ns: string, channel: string, version: string | number): Key => [S, "bl", thread, ns, channel, version];
export const writeKey = (thread: string, ns: string, id: string, task: string, idx: number): Key => [S, "wr", thread, ns, id, task, idx];
export const writesRange = (thread: string, ns: string, id: string): IDBKeyRange => prefixRange([S, "wr", thread, ns, id]);

export function storeCheckpoint(row: CheckpointRow): CheckpointValue {
  const [mdType, mdBytes] = row.metadata;
  const stored: CheckpointValue = [row.v, row.checkpoint.type, row.checkpoint.ref, mdType, mdBytes, row.channelVersions, row.parentId ?? null];
  const index = sameIndex(row.metadataIndex, indexOfJson(mdType, mdBytes)) ? null : row.metadataIndex;
  if (row.unversioned?.length) stored.push(index, row.unversioned);
  else if (index) stored.push(index);
  return stored;
}

export function loadCheckpoint(stored: CheckpointValue | CheckpointRow): CheckpointRow {
  if (!Array.isArray(stored)) return stored;
  const [v, type, ref, mdType, mdBytes, channelVersions, parentId, index, unversioned] = stored;
  const row: CheckpointRow = {
    v,
    checkpoint: { type, ref },
    metadata: [mdType, mdBytes],
    // Derived only when a listing filters on it.
    get metadataIndex() {
      return index ?? indexOfJson(mdType, mdBytes) ?? {};
    },
    channelVersions,
  };
  if (parentId !== null) row.parentId = parentId;
  if (unversioned) row.unversioned = unversioned;
  return row;
}

export const storeBlob = (row: BlobRow): BlobValue => (row.ref && row.type !== undefined ? [row.type, row.ref] : []);

export function loadBlob(stored: BlobValue | BlobRow | undefined): BlobRow | undefined {
  if (!Array.isArray(stored)) return stored;
  return stored.length === 2 ? { type: stored[0], ref: stored[1] } : {};
}

export const storeWrite = (row: WriteRow): WriteValue => [row.taskPath, row.channel, row.type, row.ref];

/** A pending write's payload reference; needs no key. */
export const writeRef = (stored: WriteValue | WriteRow): PayloadRef => (Array.isArray(stored) ? stored[3] : stored.ref);

export function loadWrite(key: Key, stored: WriteValue | WriteRow): WriteRow {
  if (!Array.isArray(stored)) return stored;
  const [taskPath, channel, type] = stored;
  return { taskId: key[5] as string, taskPath, idx: key[6] as number, channel, type, ref: writeRef(stored) };
}

/**
 * The metadata index LangGraph's adapter sends for JSON metadata: each top-level value as
 * canonical JSON. Undefined when the metadata is not a JSON object.
 */
function indexOfJson(type: string, bytes: Uint8Array): Record<string, string> | undefined {
  if (type !== "json") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const index: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) index[k] = canonicalJson(v);
  return index;
}

function sameIndex(a: Record<string, string>, b: Record<string, string> | undefined): boolean {
  if (!b) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** LangGraph's TASKS channel: pending sends of checkpoints older than format 4 live there. */
const TASKS = "__pregel_tasks";

/** Reads a checkpoint's rows back into the shape the adapter deserializes, inside `tx`. */
export class SaverReader {
  constructor(private readonly payloads: Payloads) {}

  async sortedWriteRows(tx: ReadTx, thread: string, ns: string, id: string): Promise<WriteRow[]> {
    const meta = tx.objectStore("meta");
    const range = writesRange(thread, ns, id);
    const { keys, values: rows } = await keysAndValues(meta, range);
    return rows.map((row, i) => loadWrite(keys[i] as Key, row)).sort(compareWrites);
  }

  async write(tx: ReadTx, row: WriteRow): Promise<StoredWrite> {
    const bytes = await this.payloads.get(tx, row.ref);
    return { taskId: row.taskId, taskPath: row.taskPath, idx: row.idx, channel: row.channel, value: [row.type, bytes] };
  }

  /** A checkpoint's own serialized bytes (its header, with the values of unversioned channels). */
  async checkpointBytes(tx: ReadTx, row: CheckpointRow): Promise<SerializedValue> {
    return [row.checkpoint.type, await this.payloads.get(tx, row.checkpoint.ref)];
  }

  /** The stored value of (channel, version), or undefined when none or an "empty" marker. */
  async blobValue(tx: ReadTx, thread: string, ns: string, channel: string, version: string | number): Promise<SerializedValue | undefined> {
    const row = loadBlob(await tx.objectStore("meta").get(blobKey(thread, ns, channel, version)));
    if (!row?.ref || row.type === undefined) return undefined;
    return [row.type, await this.payloads.get(tx, row.ref)];
  }

  async tuple(tx: ReadTx, thread: string, ns: string, id: string, row: CheckpointRow): Promise<StoredSaverTuple> {
    const channels = Object.entries(row.channelVersions);
    const [checkpointBytes, values, writeRows, parentSends] = await Promise.all([
      this.checkpointBytes(tx, row),
      Promise.all(channels.map(([channel, version]) => this.blobValue(tx, thread, ns, channel, version))),
      this.sortedWriteRows(tx, thread, ns, id),
      row.v < 4 && row.parentId !== undefined ? this.parentSends(tx, thread, ns, row.parentId) : undefined,
    ]);
    // channel_values is rebuilt from channel_versions: a channel is present when its version's
    // blob holds a value, whichever ancestor stored it.
    const channelValues: Record<string, SerializedValue> = {};
    channels.forEach(([channel], i) => {
      if (values[i] !== undefined) channelValues[channel] = values[i];
    });
    const tuple: StoredSaverTuple = {
      threadId: thread,
      ns,
      checkpointId: id,
      v: row.v,
      checkpoint: checkpointBytes,
      metadata: row.metadata,
      channelValues,
      channelVersions: row.channelVersions,
      pendingWrites: await Promise.all(writeRows.map((w) => this.write(tx, w))),
    };
    if (row.parentId !== undefined) tuple.parentId = row.parentId;
    if (parentSends) tuple.parentSends = parentSends;
    return tuple;
  }

  private async parentSends(tx: ReadTx, thread: string, ns: string, parentId: string): Promise<StoredWrite[]> {
    const rows = await this.sortedWriteRows(tx, thread, ns, parentId);
    return Promise.all(rows.filter((w) => w.channel === TASKS).map((w) => this.write(tx, w)));
  }
}
