import { deflateSync, inflateSync } from "fflate";
import { StoreError } from "../src/errors.js";
import type { ReadTx, WriteTx } from "./db.js";

/**
 * Payload bytes: the only module that knows how state bytes are laid out in the `blobs` store.
 * Stores see a narrow interface: `encode` (outside any transaction: compression is CPU work that
 * would let a transaction auto-commit), `put` (bytes in, reference out), `get` (reference in,
 * verified bytes out) and `release`. Its inside can change without touching the stores.
 */

/** What a store keeps in its own rows to find a payload again. Plain data. */
export interface PayloadRef {
  /** Key of the payload's row in `blobs`. */
  id: string;
  /** Raw length in bytes. */
  size: number;
}

/** A payload made ready for writing: compressed and checksummed. */
export interface EncodedPayload {
  readonly row: BlobRow;
}

interface BlobRow {
  /** 0 = stored raw, 1 = deflate. */
  codec: 0 | 1;
  /** Raw length: bounds the inflate buffer, so a tampered row cannot inflate past it. */
  raw: number;
  /** CRC-32 of the raw bytes, checked on every read (fflate does not verify deflate streams). */
  crc: number;
  data: Uint8Array;
}

export interface PayloadOptions {
  /** Largest payload accepted on write or inflated on read. */
  maxBytes?: number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** Below this, deflate's header costs more than it saves. */
const MIN_COMPRESS_BYTES = 64;

export class Payloads {
  readonly maxBytes: number;

  constructor(options: PayloadOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  }

  /** Throws PAYLOAD_TOO_LARGE before any work when the bytes exceed the cap. */
  checkSize(bytes: Uint8Array): void {
    if (bytes.length > this.maxBytes) {
      throw new StoreError("PAYLOAD_TOO_LARGE", `payload of ${bytes.length} bytes exceeds the limit of ${this.maxBytes}`, {
        retryable: false,
      });
    }
  }

  async encode(bytes: Uint8Array): Promise<EncodedPayload> {
    this.checkSize(bytes);
    const crc = crc32(bytes);
    if (bytes.length >= MIN_COMPRESS_BYTES) {
      const packed = deflateSync(bytes, { level: 6 });
      // Keep compression only when it gains; incompressible data is stored as is.
      if (packed.length < bytes.length * 0.95) return { row: { codec: 1, raw: bytes.length, crc, data: packed } };
    }
    // Copy so a caller reusing its buffer cannot change what is stored.
    return { row: { codec: 0, raw: bytes.length, crc, data: bytes.slice() } };
  }

  async put(tx: WriteTx, encoded: EncodedPayload): Promise<PayloadRef> {
    const id = crypto.randomUUID();
    await tx.objectStore("blobs").put(encoded.row, id);
    return { id, size: encoded.row.raw };
  }

  async get(tx: ReadTx, ref: PayloadRef): Promise<Uint8Array> {
    const row = (await tx.objectStore("blobs").get(ref.id)) as BlobRow | undefined;
    return this.decode(row, ref);
  }

  /** Frees the payload's storage. */
  async release(tx: WriteTx, ref: PayloadRef): Promise<void> {
    await tx.objectStore("blobs").delete(ref.id);
  }

  private decode(row: BlobRow | undefined, ref: PayloadRef): Uint8Array {
    if (!row || typeof row !== "object" || !(row.data instanceof Uint8Array)) {
      throw integrity(`payload ${ref.id} is missing or malformed`);
    }
    if (row.raw !== ref.size) throw integrity(`payload ${ref.id} has length ${row.raw}, its reference says ${ref.size}`);
    if (row.raw > this.maxBytes) {
      throw new StoreError("PAYLOAD_TOO_LARGE", `payload ${ref.id} claims ${row.raw} bytes, over the limit of ${this.maxBytes}`, {
        retryable: false,
      });
    }
    let bytes: Uint8Array;
    if (row.codec === 0) {
      bytes = row.data;
    } else if (row.codec === 1) {
      // A fixed output buffer of the recorded length: a stream that inflates further is cut off
      // there (and then fails the checksum) instead of growing memory without bound.
      try {
        bytes = inflateSync(row.data, { out: new Uint8Array(row.raw) });
      } catch (e) {
        throw integrity(`payload ${ref.id} does not inflate`, e);
      }
    } else {
      throw integrity(`payload ${ref.id} has an unknown codec`);
    }
    if (bytes.length !== row.raw || crc32(bytes) !== row.crc) throw integrity(`payload ${ref.id} fails its checksum`);
    return bytes;
  }
}

function integrity(message: string, cause?: unknown): StoreError {
  return new StoreError("INTEGRITY", message, { cause, retryable: false });
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
