import { assertId, assertString } from "../../src/validate";
import { assertGetRequest, assertListRequest, assertPutRequest, assertPutWritesRequest } from "../../worker/saver-validate";
import type {
  CheckpointSaver,
  DeltaChannelHistory,
  SaverDeltaHistoryRequest,
  SaverGetRequest,
  SaverListRequest,
  SaverPutRequest,
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

  async put(r: SaverPutRequest): Promise<void> {
    assertPutRequest(r);
    const k = MemorySaver.key(r.threadId, r.ns, r.checkpointId);
    // A (channel, version) is stored once: the first put that names it wins. Versions 1 and "1" differ.
    for (const b of r.blobs) {
      const bk = MemorySaver.key(r.threadId, r.ns, b.channel, b.version);
      if (!this.blobs.has(bk)) this.blobs.set(bk, clone(b.value));
    }
    this.cps.set(k, { req: clone(r) });
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

  async getDeltaChannelHistory(r: SaverDeltaHistoryRequest): Promise<Record<string, DeltaChannelHistory>> {
    assertString(r?.ns, "ns");
    throw new Error("the model does not walk delta channel history");
  }
}
