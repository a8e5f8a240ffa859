/**
 * The sync protocol, shared by the browser client, the worker's export and the server handler.
 * Pure data and functions: no DOM, no Node, no storage, so each side loads it without the others.
 *
 * A message is an envelope: "IDBS" 0x01, the length of a JSON header (u32, big-endian), the
 * header, then the bytes the header points at ({"$b": [offset, length]}). The whole envelope
 * travels gzip-compressed (Content-Encoding: gzip). Values are the serde's [type, bytes] pairs
 * as IndexedDBSaver stores them; a channel value may be sent as a delta against the value of the
 * same channel sent earlier in the same message (a growing message list is mostly its old self).
 */

import { commonPrefix } from "../common-prefix.js";

export const PROTOCOL_VERSION = 1;
export const MEDIA_TYPE = "application/x-idb-checkpoint-sync";

export type Bytes = Uint8Array;
export type WireValue = [type: string, bytes: Bytes];

/** A channel value: null when the channel had no value at this version (LangGraph's "empty"). */
export interface WireBlob {
  channel: string;
  version: string | number;
  value: WireValue | null;
  /** Set when `value[1]` is only the tail: the first `keep` bytes of the value at `base` come first. */
  base?: string | number;
  keep?: number;
}

export interface WireWrite {
  taskId: string;
  taskPath: string;
  idx: number;
  channel: string;
  value: WireValue;
}

/** A new checkpoint: its header as IndexedDBSaver serializes it, the channels that are new in it, its writes. */
export interface WireCheckpoint {
  kind: "checkpoint";
  threadId: string;
  ns: string;
  checkpointId: string;
  parentId?: string;
  v: number;
  /** The checkpoint without channel_values, id and channel_versions. */
  checkpoint: WireValue;
  metadata: WireValue;
  channelVersions: Record<string, string | number>;
  blobs: WireBlob[];
  writes: WireWrite[];
}

/** Writes that came after their checkpoint was sent. */
export interface WireWrites {
  kind: "writes";
  threadId: string;
  ns: string;
  checkpointId: string;
  writes: WireWrite[];
}

/** The thread was deleted: everything of it goes, on every side. */
export interface WireTombstone {
  kind: "tombstone";
  threadId: string;
}

export type WireChange = WireCheckpoint | WireWrites | WireTombstone;

export interface PushRequest {
  protocol: number;
  changes: WireChange[];
}

export interface PushResponse {
  protocol: number;
  /** How many changes were applied (all of them: a push is refused whole or applied whole). */
  applied: number;
}

export interface PullRequest {
  protocol: number;
  /** Opaque, from the previous pull's response; absent for the first pull. */
  cursor?: string;
  /** Only these threads; absent: every thread the caller may read. */
  threads?: string[];
  /** Checkpoint ids the caller already has (what it just pushed): sent as ids only. */
  known?: string[];
  limit?: number;
}

export interface PullResponse {
  protocol: number;
  changes: WireChange[];
  cursor: string;
  /** More changes are waiting after `cursor`. */
  more: boolean;
}

export const LIMITS = {
  /** Largest compressed body the server reads. */
  maxBodyBytes: 16 * 1024 * 1024,
  /** Largest body after decompression (a gzip bomb stops here). */
  maxInflatedBytes: 64 * 1024 * 1024,
  /** Most changes in one push. */
  maxChanges: 2000,
  /** Most changes in one pull response. */
  maxPullChanges: 500,
  maxIdLength: 1024,
} as const;

/** A message that breaks the protocol; the server answers 400 (413 when `tooLarge`). */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------------

const MAGIC = [0x49, 0x44, 0x42, 0x53, 0x01];
// Keys come from LangGraph state (a channel may be named "prototype" or "constructor"), and
// JSON.parse makes every key an own property; "__proto__" alone changes an object's prototype
// when copied by assignment, so it is the one refused.
const FORBIDDEN_KEYS = new Set(["__proto__"]);

export function encodeEnvelope(message: unknown): Bytes {
  const parts: Bytes[] = [];
  let offset = 0;
  const json = JSON.stringify(message, (_key, value: unknown) => {
    if (value instanceof Uint8Array) {
      parts.push(value);
      const ref = { $b: [offset, value.length] };
      offset += value.length;
      return ref;
    }
    return value;
  });
  const header = new TextEncoder().encode(json);
  const out = new Uint8Array(MAGIC.length + 4 + header.length + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length);
  out.set(header, MAGIC.length + 4);
  let at = MAGIC.length + 4 + header.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function decodeEnvelope(bytes: Bytes): unknown {
  if (bytes.length < MAGIC.length + 4 || MAGIC.some((b, i) => bytes[i] !== b)) throw new ProtocolError("not a sync message");
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + length > bytes.length) throw new ProtocolError("header runs past the end of the message");
  const binary = bytes.subarray(start + length);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, start + length));
  } catch {
    throw new ProtocolError("header is not UTF-8");
  }
  try {
    return JSON.parse(text, function (key, value: unknown) {
      if (FORBIDDEN_KEYS.has(key)) throw new ProtocolError(`forbidden key "${key}"`);
      if (value && typeof value === "object" && !Array.isArray(value) && Object.hasOwn(value, "$b")) {
        const ref = (value as { $b: unknown }).$b;
        if (Object.keys(value).length !== 1 || !Array.isArray(ref) || ref.length !== 2 || !ref.every((n) => Number.isSafeInteger(n) && n >= 0)) {
          throw new ProtocolError("bad byte reference");
        }
        const [off, len] = ref as [number, number];
        if (off + len > binary.length) throw new ProtocolError("byte reference runs past the end of the message");
        return binary.slice(off, off + len);
      }
      return value;
    });
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError("header is not JSON");
  }
}

// ---------------------------------------------------------------------------------------------
// Deltas: a value as the common start of an earlier value of its channel plus its own tail
// ---------------------------------------------------------------------------------------------

/** Below this many shared bytes a delta is not worth its reference. */
const MIN_KEEP = 128;

/** Keeps, per (thread, ns, channel), the last value a message carries, to send or rebuild deltas. */
export class DeltaBook {
  private readonly last = new Map<string, { version: string | number; bytes: Bytes }>();

  private static key(threadId: string, ns: string, channel: string): string {
    return JSON.stringify([threadId, ns, channel]);
  }

  /** The blob to send for a full value, as a delta when an earlier value of the channel shares its start. */
  encode(threadId: string, ns: string, channel: string, version: string | number, value: WireValue | null): WireBlob {
    const blob: WireBlob = { channel, version, value };
    if (!value) return blob;
    const key = DeltaBook.key(threadId, ns, channel);
    const prev = this.last.get(key);
    this.last.set(key, { version, bytes: value[1] });
    if (!prev) return blob;
    const keep = commonPrefix(prev.bytes, value[1]);
    if (keep < MIN_KEEP) return blob;
    return { channel, version, value: [value[0], value[1].subarray(keep)], base: prev.version, keep };
  }

  /** The full value of a received blob. */
  decode(threadId: string, ns: string, blob: WireBlob): WireValue | null {
    if (!blob.value) return null;
    const key = DeltaBook.key(threadId, ns, blob.channel);
    let bytes = blob.value[1];
    if (blob.base !== undefined) {
      const prev = this.last.get(key);
      if (!prev || prev.version !== blob.base || blob.keep === undefined || blob.keep > prev.bytes.length) {
        throw new ProtocolError(`delta of ${blob.channel}@${blob.version} names a base this message does not hold`);
      }
      bytes = new Uint8Array(blob.keep + blob.value[1].length);
      bytes.set(prev.bytes.subarray(0, blob.keep), 0);
      bytes.set(blob.value[1], blob.keep);
    }
    this.last.set(key, { version: blob.version, bytes });
    return [blob.value[0], bytes];
  }
}
