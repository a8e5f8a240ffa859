import { assertBytes, assertGraphHash, assertId } from "../../src/validate";
import type { BlobCheckpointStore, BlobRecord, LoadedBlob } from "../../src/types";

/** Seed 003's blob store as a map: a save replaces, and the trace's latest is the last one saved. */
export class MemoryBlobs implements BlobCheckpointStore {
  private readonly byId = new Map<string, { record: BlobRecord; bytes: Uint8Array; order: number }>();
  private order = 0;

  async save(checkpointId: string, traceId: string, graphHash: bigint, bytes: Uint8Array): Promise<void> {
    assertId(checkpointId, "checkpointId");
    assertId(traceId, "traceId");
    assertGraphHash(graphHash);
    assertBytes(bytes, "bytes");
    this.byId.set(checkpointId, { record: { checkpointId, traceId, graphHash, createdAt: 0, size: bytes.length }, bytes: bytes.slice(), order: this.order++ });
  }

  async load(checkpointId: string): Promise<LoadedBlob | undefined> {
    assertId(checkpointId, "checkpointId");
    const b = this.byId.get(checkpointId);
    return b && { record: { ...b.record }, bytes: b.bytes.slice() };
  }

  private trace(traceId: string) {
    assertId(traceId, "traceId");
    return [...this.byId.values()].filter((b) => b.record.traceId === traceId).sort((a, b) => a.order - b.order);
  }

  async loadLatest(traceId: string): Promise<LoadedBlob | undefined> {
    const last = this.trace(traceId).at(-1);
    return last && { record: { ...last.record }, bytes: last.bytes.slice() };
  }

  async list(traceId: string): Promise<BlobRecord[]> {
    return this.trace(traceId).map((b) => ({ ...b.record }));
  }

  async delete(checkpointId: string): Promise<boolean> {
    assertId(checkpointId, "checkpointId");
    return this.byId.delete(checkpointId);
  }
}
