import { StoreError } from "../../src/errors";
import { assertBytes, assertId, assertPlainObject } from "../../src/validate";
import type { LoadedThreadCheckpoint, Metadata, ThreadCheckpointMeta, ThreadCheckpointStore } from "../../src/types";
import { clone } from "./clone";

/**
 * Seed 000 as plain maps: what the contract says, nothing about storage. Ids are a counter in
 * creation order; the differential test maps the library's ids onto these.
 */
export class MemoryThreads implements ThreadCheckpointStore {
  private readonly threads = new Map<string, Map<string, { meta: ThreadCheckpointMeta; state: Uint8Array }>>();
  private next = 0;

  async save(threadId: string, metadata: Metadata, state: Uint8Array): Promise<string> {
    assertId(threadId, "threadId");
    assertPlainObject(metadata, "metadata");
    assertBytes(state, "state");
    const checkpointId = `m${String(this.next++).padStart(10, "0")}`;
    const thread = this.threads.get(threadId) ?? new Map();
    this.threads.set(threadId, thread);
    thread.set(checkpointId, { meta: { threadId, checkpointId, createdAt: 0, size: state.length, metadata: clone(metadata) }, state: state.slice() });
    return checkpointId;
  }

  async load(threadId: string, checkpointId: string): Promise<LoadedThreadCheckpoint> {
    assertId(threadId, "threadId");
    assertId(checkpointId, "checkpointId");
    const cp = this.threads.get(threadId)?.get(checkpointId);
    if (!cp) throw new StoreError("NOT_FOUND", `no checkpoint ${checkpointId}`);
    return { meta: clone(cp.meta), state: cp.state.slice() };
  }

  async loadLatest(threadId: string): Promise<LoadedThreadCheckpoint> {
    assertId(threadId, "threadId");
    const ids = [...(this.threads.get(threadId)?.keys() ?? [])].sort();
    if (ids.length === 0) throw new StoreError("NOT_FOUND", `thread ${threadId} has no checkpoints`);
    return this.load(threadId, ids[ids.length - 1]);
  }

  async list(threadId: string): Promise<ThreadCheckpointMeta[]> {
    assertId(threadId, "threadId");
    const thread = this.threads.get(threadId);
    return thread ? [...thread.keys()].sort().map((id) => clone(thread.get(id)!.meta)) : [];
  }

  async delete(threadId: string, checkpointId: string): Promise<void> {
    assertId(threadId, "threadId");
    assertId(checkpointId, "checkpointId");
    const thread = this.threads.get(threadId);
    if (!thread?.delete(checkpointId)) return;
    if (thread.size === 0) this.threads.delete(threadId);
  }

  async deleteThread(threadId: string): Promise<void> {
    assertId(threadId, "threadId");
    this.threads.delete(threadId);
  }

  async count(threadId: string): Promise<number> {
    assertId(threadId, "threadId");
    return this.threads.get(threadId)?.size ?? 0;
  }

  async listThreads(): Promise<string[]> {
    return [...this.threads.keys()].sort(compareKeys);
  }
}

/** IndexedDB's order of string keys: by UTF-16 code units, which is what `<` on strings does. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
