import { LIMITS, PROTOCOL_VERSION, ProtocolError, type PullRequest, type PullResponse, type PushRequest, type WireBlob, type WireChange, type WireValue, type WireWrite } from "./protocol.js";

/**
 * Shape checks of decoded messages, field by field. Whatever arrives from the network is
 * hostile until these pass: a wrong type anywhere refuses the whole message before anything of
 * it is applied.
 */

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new ProtocolError(`${path} must be ${what}`);
}

function obj(v: unknown, path: string, keys: readonly string[]): Obj {
  if (!v || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) fail(path, "an object");
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new ProtocolError(`${path} has an unknown field "${k}"`);
  return v as Obj;
}

function str(v: unknown, path: string, empty = false): string {
  if (typeof v !== "string" || (!empty && v.length === 0) || v.length > LIMITS.maxIdLength) fail(path, empty ? "a string" : "a non-empty string");
  return v;
}

function int(v: unknown, path: string, min = -Infinity): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) fail(path, `a whole number >= ${min}`);
  return v;
}

function version(v: unknown, path: string): string | number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  return str(v, path);
}

function arr(v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, "an array");
  if (v.length > max) throw new ProtocolError(`${path} holds more than ${max} items`, true);
  return v;
}

function value(v: unknown, path: string): WireValue {
  if (!Array.isArray(v) || v.length !== 2 || !(v[1] instanceof Uint8Array)) fail(path, "a [type, bytes] pair");
  str(v[0], `${path}[0]`);
  return v as WireValue;
}

function versions(v: unknown, path: string): Record<string, string | number> {
  if (!v || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) fail(path, "an object");
  for (const [k, x] of Object.entries(v)) version(x, `${path}.${k}`);
  return v as Record<string, string | number>;
}

function blob(v: unknown, path: string): WireBlob {
  const b = obj(v, path, ["channel", "version", "value", "base", "keep"]);
  str(b.channel, `${path}.channel`);
  version(b.version, `${path}.version`);
  if (b.value !== null) value(b.value, `${path}.value`);
  if ((b.base === undefined) !== (b.keep === undefined)) fail(path, "a blob with both base and keep, or neither");
  if (b.base !== undefined) {
    version(b.base, `${path}.base`);
    int(b.keep, `${path}.keep`, 0);
    if (b.value === null) fail(`${path}.value`, "a value when base is set");
  }
  return b as unknown as WireBlob;
}

function write(v: unknown, path: string): WireWrite {
  const w = obj(v, path, ["taskId", "taskPath", "idx", "channel", "value"]);
  str(w.taskId, `${path}.taskId`);
  str(w.taskPath, `${path}.taskPath`, true);
  int(w.idx, `${path}.idx`);
  str(w.channel, `${path}.channel`);
  value(w.value, `${path}.value`);
  return w as unknown as WireWrite;
}

export function checkChange(v: unknown, path: string): WireChange {
  const kind = (v as Obj | null)?.kind;
  if (kind === "tombstone") {
    const t = obj(v, path, ["kind", "threadId"]);
    str(t.threadId, `${path}.threadId`);
  } else if (kind === "writes") {
    const w = obj(v, path, ["kind", "threadId", "ns", "checkpointId", "writes"]);
    str(w.threadId, `${path}.threadId`);
    str(w.ns, `${path}.ns`, true);
    str(w.checkpointId, `${path}.checkpointId`);
    arr(w.writes, `${path}.writes`, 10_000).forEach((x, i) => write(x, `${path}.writes[${i}]`));
  } else if (kind === "checkpoint") {
    const c = obj(v, path, ["kind", "threadId", "ns", "checkpointId", "parentId", "v", "checkpoint", "metadata", "channelVersions", "blobs", "writes"]);
    str(c.threadId, `${path}.threadId`);
    str(c.ns, `${path}.ns`, true);
    str(c.checkpointId, `${path}.checkpointId`);
    if (c.parentId !== undefined) str(c.parentId, `${path}.parentId`);
    int(c.v, `${path}.v`, 0);
    value(c.checkpoint, `${path}.checkpoint`);
    value(c.metadata, `${path}.metadata`);
    versions(c.channelVersions, `${path}.channelVersions`);
    arr(c.blobs, `${path}.blobs`, 10_000).forEach((x, i) => blob(x, `${path}.blobs[${i}]`));
    arr(c.writes, `${path}.writes`, 10_000).forEach((x, i) => write(x, `${path}.writes[${i}]`));
  } else {
    fail(`${path}.kind`, '"checkpoint", "writes" or "tombstone"');
  }
  return v as WireChange;
}

function protocol(m: Obj): void {
  if (m.protocol !== PROTOCOL_VERSION) throw new ProtocolError(`protocol must be ${PROTOCOL_VERSION}`);
}

export function checkPushRequest(v: unknown): PushRequest {
  const m = obj(v, "push", ["protocol", "changes"]);
  protocol(m);
  arr(m.changes, "push.changes", LIMITS.maxChanges).forEach((c, i) => checkChange(c, `push.changes[${i}]`));
  return m as unknown as PushRequest;
}

export function checkPullRequest(v: unknown): PullRequest {
  const m = obj(v, "pull", ["protocol", "cursor", "threads", "known", "limit"]);
  protocol(m);
  if (m.cursor !== undefined) str(m.cursor, "pull.cursor");
  if (m.threads !== undefined) arr(m.threads, "pull.threads", 10_000).forEach((t, i) => str(t, `pull.threads[${i}]`));
  if (m.known !== undefined) arr(m.known, "pull.known", 100_000).forEach((t, i) => str(t, `pull.known[${i}]`));
  if (m.limit !== undefined) int(m.limit, "pull.limit", 1);
  return m as unknown as PullRequest;
}

export function checkPullResponse(v: unknown): PullResponse {
  const m = obj(v, "pull response", ["protocol", "changes", "cursor", "more"]);
  protocol(m);
  str(m.cursor, "pull response.cursor");
  if (typeof m.more !== "boolean") fail("pull response.more", "a boolean");
  arr(m.changes, "pull response.changes", Infinity).forEach((c, i) => checkChange(c, `pull response.changes[${i}]`));
  return m as unknown as PullResponse;
}
