import { invalid } from "../src/errors.js";
import { assertBytes, assertCount, assertId, assertString, assertStringRecord, describe, isPlainObject } from "../src/validate.js";
import type {
  SaverBlob,
  SaverDeltaHistoryRequest,
  SaverGetRequest,
  SaverListRequest,
  SaverListThreadsRequest,
  SaverPruneOptions,
  SaverPutRequest,
  SaverPutWritesRequest,
  SaverWrite,
  SerializedValue,
} from "../src/types.js";

/**
 * Argument checks of the saver's requests. Each throws INVALID_ARGUMENT synchronously, before the
 * store encodes a payload or opens a transaction, so bad input writes nothing.
 */

/**
 * Channel names and metadata keys are LangGraph's: a state field may be called "prototype", a
 * run's metadata may hold "constructor", and MemorySaver keeps them. They are only ever own
 * properties here (every lookup checks Object.hasOwn), so the one key refused is "__proto__",
 * which, assigned into an object, replaces its prototype instead of adding a property.
 */
const FORBIDDEN_KEY = "__proto__";
const FORBIDDEN = new Set([FORBIDDEN_KEY]);

function assertRequest(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid(`${what} must be a plain object, got ${describe(value)}`);
}

export function assertSerialized(value: unknown, what: string): asserts value is SerializedValue {
  if (!Array.isArray(value) || value.length !== 2) throw invalid(`${what} must be a [type, bytes] pair, got ${describe(value)}`);
  assertString(value[0], `${what} type`);
  assertBytes(value[1], `${what} bytes`);
}

/** Channel versions become key parts: a finite number or a string. */
export function assertVersion(value: unknown, what: string): asserts value is string | number {
  if (typeof value === "number" ? !Number.isFinite(value) : typeof value !== "string") {
    throw invalid(`${what} must be a finite number or a string, got ${describe(value)}`);
  }
}

function assertVersions(value: unknown, what: string): asserts value is Record<string, string | number> {
  if (!isPlainObject(value)) throw invalid(`${what} must be a plain object, got ${describe(value)}`);
  for (const [channel, version] of Object.entries(value)) {
    if (channel === FORBIDDEN_KEY) throw invalid(`${what} has the forbidden key "${channel}"`);
    assertVersion(version, `${what}.${channel}`);
  }
}

function assertBlob(value: unknown, what: string): asserts value is SaverBlob {
  assertRequest(value, what);
  assertId(value.channel, `${what}.channel`);
  assertVersion(value.version, `${what}.version`);
  if (value.value !== null) assertSerialized(value.value, `${what}.value`);
}

function assertWrite(value: unknown, what: string): asserts value is SaverWrite {
  assertRequest(value, what);
  if (typeof value.idx !== "number" || !Number.isSafeInteger(value.idx)) throw invalid(`${what}.idx must be a whole number`);
  assertId(value.channel, `${what}.channel`);
  assertSerialized(value.value, `${what}.value`);
}

function assertOptionalId(value: unknown, what: string): void {
  if (value !== undefined) assertId(value, what);
}

export function assertPutRequest(r: unknown): asserts r is SaverPutRequest {
  assertRequest(r, "put request");
  assertId(r.threadId, "threadId");
  assertString(r.ns, "ns");
  assertId(r.checkpointId, "checkpointId");
  assertOptionalId(r.parentId, "parentId");
  assertCount(r.v, "v");
  assertSerialized(r.checkpoint, "checkpoint");
  assertSerialized(r.metadata, "metadata");
  assertStringRecord(r.metadataIndex, "metadataIndex", FORBIDDEN);
  assertVersions(r.channelVersions, "channelVersions");
  if (!Array.isArray(r.blobs)) throw invalid(`blobs must be an array, got ${describe(r.blobs)}`);
  r.blobs.forEach((b, i) => assertBlob(b, `blobs[${i}]`));
  assertOptionalId(r.runId, "runId");
  if (r.unversioned !== undefined) assertStrings(r.unversioned, "unversioned");
}

function assertStrings(value: unknown, what: string): asserts value is string[] {
  if (!Array.isArray(value)) throw invalid(`${what} must be an array, got ${describe(value)}`);
  value.forEach((k, i) => assertString(k, `${what}[${i}]`));
}

export function assertPutWritesRequest(r: unknown): asserts r is SaverPutWritesRequest {
  assertRequest(r, "putWrites request");
  assertId(r.threadId, "threadId");
  assertString(r.ns, "ns");
  assertId(r.checkpointId, "checkpointId");
  assertId(r.taskId, "taskId");
  assertString(r.taskPath, "taskPath");
  if (!Array.isArray(r.writes)) throw invalid(`writes must be an array, got ${describe(r.writes)}`);
  r.writes.forEach((w, i) => assertWrite(w, `writes[${i}]`));
}

export function assertGetRequest(r: unknown): asserts r is SaverGetRequest {
  assertRequest(r, "getTuple request");
  assertId(r.threadId, "threadId");
  assertString(r.ns, "ns");
  assertOptionalId(r.checkpointId, "checkpointId");
}

export function assertListRequest(r: unknown): asserts r is SaverListRequest {
  assertRequest(r, "list request");
  assertOptionalId(r.threadId, "threadId");
  if (r.ns !== undefined) assertString(r.ns, "ns");
  assertOptionalId(r.checkpointId, "checkpointId");
  assertOptionalId(r.before, "before");
  if (r.limit !== undefined) assertCount(r.limit, "limit");
  if (r.filter !== undefined) assertStringRecord(r.filter, "filter", FORBIDDEN);
  if (r.absent !== undefined) assertStrings(r.absent, "absent");
}

export function assertDeltaHistoryRequest(r: unknown): asserts r is SaverDeltaHistoryRequest {
  assertRequest(r, "getDeltaChannelHistory request");
  assertId(r.threadId, "threadId");
  assertString(r.ns, "ns");
  assertOptionalId(r.checkpointId, "checkpointId");
  if (!Array.isArray(r.channels)) throw invalid(`channels must be an array, got ${describe(r.channels)}`);
  r.channels.forEach((c, i) => {
    assertId(c, `channels[${i}]`);
    // Channel names become keys of the result object.
    if (c === FORBIDDEN_KEY) throw invalid(`channels[${i}] is the forbidden name "${c}"`);
  });
}

export function assertIdList(value: unknown, what: string): asserts value is string[] {
  if (!Array.isArray(value)) throw invalid(`${what} must be an array of ids, got ${describe(value)}`);
  value.forEach((id, i) => assertId(id, `${what}[${i}]`));
}

export function assertCopyThread(source: unknown, target: unknown): asserts source is string {
  assertId(source, "source");
  assertId(target, "target");
  if (source === target) throw invalid(`copyThread needs two different threads, got "${source}" twice`);
}

/** Checks prune's arguments; returns the strategy, "keep_latest" when none is given. */
export function assertPrune(threadIds: unknown, options: unknown = {}): NonNullable<SaverPruneOptions["strategy"]> {
  assertIdList(threadIds, "threadIds");
  if (!isPlainObject(options)) throw invalid(`prune's options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) if (key !== "strategy") throw invalid(`unknown prune option "${key}"`);
  const strategy = options.strategy ?? "keep_latest";
  if (strategy !== "keep_latest" && strategy !== "delete") throw invalid(`prune strategy must be "keep_latest" or "delete", got ${describe(strategy)}`);
  return strategy;
}

export function assertListThreads(request: unknown): asserts request is SaverListThreadsRequest {
  if (!isPlainObject(request)) throw invalid(`listThreads' request must be an object, got ${describe(request)}`);
  for (const key of Object.keys(request)) if (key !== "limit") throw invalid(`unknown listThreads option "${key}"`);
  if (request.limit !== undefined) assertCount(request.limit, "limit");
}

/**
 * Where a run id given beside the metadata is kept: in the metadata index, under a key no
 * metadata key (a JSON object key LangGraph writes) uses, so list filters never meet it.
 */
export const RUN_ID_KEY = "\u0000run_id";

/** The run a stored checkpoint belongs to (canonical JSON), from its metadata or beside it. */
export function runIdOf(index: Record<string, string>): string | undefined {
  return index.run_id ?? index[RUN_ID_KEY];
}
