import { assertId, assertString } from "../../src/validate";
import {
  assertCopyThread,
  assertGetRequest,
  assertIdList,
  assertListRequest,
  assertListThreads,
  assertPrune,
  assertPutRequest,
  assertPutWritesRequest,
} from "../../worker/saver-validate";
import { invalid, StoreError } from "../../src/errors";
import { canonicalJson } from "../../src/canonical-json";
import type {
  CheckpointSaver,
  DeltaChannelHistory,
  SaverDeltaHistoryRequest,
  SaverGetRequest,
  SaverListRequest,
  SaverListThreadsRequest,
  SaverPruneOptions,
  SaverPutRequest,
  SaverThreadInfo,
  SaverWriteOp,
  SaverPutWritesRequest,
  SerializedValue,
  StoredSaverTuple,
  StoredWrite,
} from "../../src/types";
import { clone } from "./clone";
import { compareKeys } from "./memory-threads";

interface Cp {
  req: SaverPutRequest;
}

/**
 * Seed 001 (bytes level) as plain maps, for v >= 4 checkpoints: headers, per-version channel
 * blobs, writes (regular insert-if-absent, special replacing), newest-first listing. Argument
 * checks are the library's own (they are part of the contract's surface); the delta channel
 * history walk is not modelled.
 */
export class MemorySaver implements CheckpointSaver {
  private readonly cps = new Map<string, Cp>();
  private readonly blobs = new Map<string, SerializedValue | null>();
  /** Writes by checkpoint; they may arrive before it. */
  private readonly writes = new Map<string, StoredWrite[]>();

  private static key(...parts: Array<string | number>): string {
    return JSON.stringify(parts);
  }

  async put(r: SaverPutRequest): Promise<Required<SaverGetRequest>> {
    assertPutRequest(r);
    const k = MemorySaver.key(r.threadId, r.ns, r.checkpointId);
    // A (channel, version) is stored once: the first put that names it wins. Versions 1 and "1" differ.
    for (const b of r.blobs) {
      const bk = MemorySaver.key(r.threadId, r.ns, b.channel, b.version);
      if (!this.blobs.has(bk)) this.blobs.set(bk, clone(b.value));
    }
    this.cps.set(k, { req: clone(r) });
    return { threadId: r.threadId, ns: r.ns, checkpointId: r.checkpointId };
  }

  async putWrites(r: SaverPutWritesRequest): Promise<void> {
    assertPutWritesRequest(r);
    const k = MemorySaver.key(r.threadId, r.ns, r.checkpointId);
    const list = this.writes.get(k) ?? [];
    this.writes.set(k, list);
    for (const w of r.writes) {
      const stored: StoredWrite = { taskId: r.taskId, taskPath: r.taskPath, idx: w.idx, channel: w.channel, value: clone(w.value) };
      const at = list.findIndex((x) => x.taskId === r.taskId && x.idx === w.idx);
      if (at < 0) list.push(stored);
      else if (w.idx < 0) list[at] = stored;
    }
  }

  private tuple(cp: Cp): StoredSaverTuple {
    const r = cp.req;
    const channelValues: Record<string, SerializedValue> = {};
    for (const [channel, version] of Object.entries(r.channelVersions)) {
      const v = this.blobs.get(MemorySaver.key(r.threadId, r.ns, channel, version));
      if (v) channelValues[channel] = clone(v);
    }
    const pendingWrites = [...(this.writes.get(MemorySaver.key(r.threadId, r.ns, r.checkpointId)) ?? [])]
      .sort((a, b) => compareKeys(a.taskPath, b.taskPath) || compareKeys(a.taskId, b.taskId) || a.idx - b.idx)
      .map(clone);
    const t: StoredSaverTuple = {
      threadId: r.threadId,
      ns: r.ns,
      checkpointId: r.checkpointId,
      v: r.v,
      checkpoint: clone(r.checkpoint),
      metadata: clone(r.metadata),
      channelValues,
      channelVersions: clone(r.channelVersions),
      pendingWrites,
    };
    if (r.parentId !== undefined) t.parentId = r.parentId;
    return t;
  }

  async getTuple(r: SaverGetRequest): Promise<StoredSaverTuple | undefined> {
    assertGetRequest(r);
    const mine = [...this.cps.values()].filter((c) => c.req.threadId === r.threadId && c.req.ns === r.ns);
    const cp =
      r.checkpointId !== undefined
        ? mine.find((c) => c.req.checkpointId === r.checkpointId)
        : mine.sort((a, b) => compareKeys(b.req.checkpointId, a.req.checkpointId))[0];
    return cp && this.tuple(cp);
  }

  async list(r: SaverListRequest): Promise<StoredSaverTuple[]> {
    assertListRequest(r);
    const hits = [...this.cps.values()]
      .filter(({ req }) => r.threadId === undefined || req.threadId === r.threadId)
      .filter(({ req }) => r.ns === undefined || req.ns === r.ns)
      .filter(({ req }) => r.checkpointId === undefined || req.checkpointId === r.checkpointId)
      .filter(({ req }) => r.before === undefined || compareKeys(req.checkpointId, r.before) < 0)
      .filter(({ req }) => Object.entries(r.filter ?? {}).every(([k, v]) => Object.hasOwn(req.metadataIndex, k) && req.metadataIndex[k] === v))
      .filter(({ req }) => !(r.absent ?? []).some((k) => Object.hasOwn(req.metadataIndex, k)))
      // Newest first; one id in several threads or namespaces: later thread, then later ns first.
      .sort((a, b) => compareKeys(b.req.checkpointId, a.req.checkpointId) || compareKeys(b.req.threadId, a.req.threadId) || compareKeys(b.req.ns, a.req.ns));
    return (r.limit === undefined ? hits : hits.slice(0, r.limit)).map((c) => this.tuple(c));
  }

  async deleteThread(threadId: string): Promise<void> {
    assertId(threadId, "threadId");
    for (const map of [this.cps, this.blobs, this.writes] as Array<Map<string, unknown>>) {
      for (const k of [...map.keys()]) if ((JSON.parse(k) as string[])[0] === threadId) map.delete(k);
    }
  }

  async batch(ops: SaverWriteOp[]): Promise<void> {
    if (!Array.isArray(ops)) throw invalid("a batch must be an array of operations");
    // Every operation is checked before any is applied: a batch is stored whole or not at all.
    for (const op of ops) {
      const keys = op && typeof op === "object" ? Object.keys(op) : [];
      if (keys.length !== 1) throw invalid("a batch operation must be { put } or { putWrites }");
      if ("put" in op) assertPutRequest(op.put);
      else if ("putWrites" in op) assertPutWritesRequest(op.putWrites);
      else throw invalid("a batch operation must be { put } or { putWrites }");
    }
    for (const op of ops) await ("put" in op ? this.put(op.put) : this.putWrites(op.putWrites));
  }

  private entries<V>(map: Map<string, V>, threadId: string): Array<[string[], V]> {
    return [...map].map(([k, v]) => [JSON.parse(k) as string[], v] as [string[], V]).filter(([k]) => k[0] === threadId);
  }

  async copyThread(source: string, target: string): Promise<void> {
    assertCopyThread(source, target);
    assertId(target, "target");
    if (this.entries(this.cps, target).length > 0) throw new StoreError("CONFLICT", `target thread "${target}" is not empty`, { retryable: false });
    for (const [[, ...rest], cp] of this.entries(this.cps, source)) this.cps.set(MemorySaver.key(target, ...rest), { req: { ...clone(cp.req), threadId: target } });
    for (const [[, ...rest], v] of this.entries(this.blobs, source)) this.blobs.set(MemorySaver.key(target, ...rest), clone(v));
    for (const [[, ...rest], v] of this.entries(this.writes, source)) this.writes.set(MemorySaver.key(target, ...rest), v.map(clone));
  }

  /** Drops values no checkpoint of the thread names, and writes of checkpoints that are gone. */
  private collectGarbage(threadId: string): void {
    const cps = this.entries(this.cps, threadId).map(([, cp]) => cp.req);
    const named = new Set(cps.flatMap((r) => Object.entries(r.channelVersions).map(([c, v]) => MemorySaver.key(threadId, r.ns, c, v))));
    for (const [k] of this.entries(this.blobs, threadId)) if (!named.has(MemorySaver.key(...k))) this.blobs.delete(MemorySaver.key(...k));
    const present = new Set(cps.map((r) => MemorySaver.key(threadId, r.ns, r.checkpointId)));
    for (const [k] of this.entries(this.writes, threadId)) if (!present.has(MemorySaver.key(...k))) this.writes.delete(MemorySaver.key(...k));
  }

  async prune(threadIds: string[], options?: SaverPruneOptions): Promise<void> {
    const strategy = assertPrune(threadIds, options);
    for (const thread of threadIds) {
      if (strategy === "delete") {
        await this.deleteThread(thread);
        continue;
      }
      const newest = new Map<string, string>();
      for (const [, { req }] of this.entries(this.cps, thread)) {
        if (!newest.has(req.ns) || compareKeys(req.checkpointId, newest.get(req.ns)!) > 0) newest.set(req.ns, req.checkpointId);
      }
      for (const [k, { req }] of this.entries(this.cps, thread)) if (newest.get(req.ns) !== req.checkpointId) this.cps.delete(MemorySaver.key(...k));
      this.collectGarbage(thread);
    }
  }

  async deleteForRuns(runIds: string[]): Promise<void> {
    assertIdList(runIds, "runIds");
    const wanted = new Set(runIds.map((r) => canonicalJson(r)));
    const threads = new Set<string>();
    for (const [k, { req }] of [...this.cps]) {
      const runId = req.metadataIndex.run_id ?? (req.runId === undefined ? undefined : canonicalJson(req.runId));
      if (runId !== undefined && wanted.has(runId)) {
        this.cps.delete(k);
        threads.add(req.threadId);
      }
    }
    for (const t of threads) this.collectGarbage(t);
  }

  async listThreads(request: SaverListThreadsRequest = {}): Promise<SaverThreadInfo[]> {
    assertListThreads(request);
    const newest = new Map<string, SaverPutRequest>();
    const newestRoot = new Map<string, SaverPutRequest>();
    for (const { req } of this.cps.values()) {
      const n = newest.get(req.threadId);
      if (!n || compareKeys(req.checkpointId, n.checkpointId) > 0 || (req.checkpointId === n.checkpointId && compareKeys(req.ns, n.ns) > 0)) newest.set(req.threadId, req);
      const r = newestRoot.get(req.threadId);
      if (req.ns === "" && (!r || compareKeys(req.checkpointId, r.checkpointId) > 0)) newestRoot.set(req.threadId, req);
    }
    const list = [...newest.values()]
      .sort((a, b) => compareKeys(b.checkpointId, a.checkpointId) || compareKeys(b.threadId, a.threadId))
      .map((last): SaverThreadInfo => {
        const root = newestRoot.get(last.threadId) ?? last;
        return {
          threadId: last.threadId,
          lastCheckpointId: last.checkpointId,
          lastNs: last.ns,
          lastCheckpoint: clone(last.checkpoint),
          rootCheckpointId: root.checkpointId,
          metadata: clone(root.metadata),
        };
      });
    return request.limit === undefined ? list : list.slice(0, request.limit);
  }

  async getDeltaChannelHistory(r: SaverDeltaHistoryRequest): Promise<Record<string, DeltaChannelHistory>> {
    assertString(r?.ns, "ns");
    throw new Error("the model does not walk delta channel history");
  }
}
