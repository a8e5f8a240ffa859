import type { Codec } from "./codec.js";
import type { JsonCodec } from "./json-codec.js";
import { StoreError, invalid, isStoreError } from "./errors.js";
import { assertGraphHash, assertId, isPlainObject } from "./validate.js";
import type { BlobCheckpointStore, LoadedBlob } from "./types.js";

/** A checkpoint of typed state: what TypedCheckpointStore saves and loads. */
export interface TypedCheckpoint<S> {
  id: string;
  state: S;
}

/**
 * Seed 003's typed layer: a codec plus a BlobCheckpointStore, with the graph hash as a
 * correctness check. It runs on the page, so only bytes cross to the worker. A checkpoint
 * written by a different graph (the hash differs) rejects with GRAPH_MISMATCH and is never
 * decoded: state of another graph's shape would be read as if it fitted this one.
 */
export class TypedCheckpointStore<S = unknown> {
  private readonly codec: Codec<TypedCheckpoint<S>>;

  /**
   * S comes from the codec, or from the type argument: `new TypedCheckpointStore<Chat>(blobs,
   * jsonCodec())`. A bare `jsonCodec()` cannot name S itself (TypeScript infers its type argument
   * as `unknown`), so it is taken as it is and S stays `unknown`.
   */
  constructor(
    private readonly blobs: BlobCheckpointStore,
    codec: Codec<TypedCheckpoint<S>> | JsonCodec,
  ) {
    this.codec = codec as Codec<TypedCheckpoint<S>>;
  }

  /** Saves the checkpoint under its id, in the trace, stamped with the graph's hash. */
  async saveWithTrace(traceId: string, checkpoint: TypedCheckpoint<S>, graphHash: bigint): Promise<void> {
    assertId(traceId, "traceId");
    if (!isPlainObject(checkpoint)) throw invalid("checkpoint must be an object { id, state }");
    assertId(checkpoint.id, "checkpoint.id");
    assertGraphHash(graphHash);
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encode(checkpoint);
    } catch (e) {
      // A codec of the app's own may throw anything; the caller still gets a StoreError.
      if (isStoreError(e)) throw e;
      throw new StoreError("INVALID_ARGUMENT", `the codec could not encode checkpoint "${checkpoint.id}": ${String(e)}`, { cause: e });
    }
    await this.blobs.save(checkpoint.id, traceId, graphHash, bytes);
  }

  /** The checkpoint, or undefined; GRAPH_MISMATCH when another graph wrote it. */
  async load(id: string, expectedHash: bigint): Promise<TypedCheckpoint<S> | undefined> {
    assertId(id, "id");
    assertGraphHash(expectedHash);
    return this.decode(await this.blobs.load(id), expectedHash);
  }

  /** The trace's latest checkpoint, or undefined; GRAPH_MISMATCH when another graph wrote it. */
  async loadLatest(traceId: string, expectedHash: bigint): Promise<TypedCheckpoint<S> | undefined> {
    assertId(traceId, "traceId");
    assertGraphHash(expectedHash);
    return this.decode(await this.blobs.loadLatest(traceId), expectedHash);
  }

  private decode(loaded: LoadedBlob | undefined, expectedHash: bigint): TypedCheckpoint<S> | undefined {
    if (!loaded) return undefined;
    const { record } = loaded;
    if (record.graphHash !== expectedHash) {
      throw new StoreError(
        "GRAPH_MISMATCH",
        `checkpoint "${record.checkpointId}" was written by graph ${hex(record.graphHash)}, not ${hex(expectedHash)}`,
      );
    }
    try {
      return this.codec.decode(loaded.bytes);
    } catch (e) {
      if (isStoreError(e)) throw e;
      throw new StoreError("INTEGRITY", `the codec could not decode checkpoint "${record.checkpointId}": ${String(e)}`, { cause: e });
    }
  }
}

const hex = (h: bigint) => `0x${h.toString(16).padStart(16, "0")}`;
