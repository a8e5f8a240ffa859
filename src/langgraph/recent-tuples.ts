import { compareWrites } from "../write-order.js";
import type { SaverPutRequest, SaverPutWritesRequest, SerializedValue, StoredSaverTuple, StoredWrite } from "../types.js";

/**
 * Read-your-writes for a pipelined IndexedDBSaver. While a thread's writes are still on their way
 * to the worker, the run that made them asks for the thread's newest checkpoint (a resume, a
 * subgraph starting again, getState): waiting for the writes to be stored cost most of a graph's
 * time. This keeps, per thread and namespace, what the store will hold once they are: the
 * newest checkpoint's bytes, the bytes of each (channel, version) it names, and its writes, as
 * the exact `[type, bytes]` pairs sent to the store, so an answer from here is the tuple a read
 * from the store would give, decoded by the same code.
 *
 * It answers only what it knows whole: a namespace it saw read from the store (or saw to be
 * empty) and every write to since, a checkpoint whose every channel version it holds. Anything
 * else, and every address without writes in flight, is read from the store as before.
 * The same slot rules as the store's: a (channel, version) is kept once, the first time; a
 * regular write keeps its first value, a special one (error, interrupt, resume) its latest.
 */
export class RecentTuples {
  private readonly entries = new Map<string, Entry>();
  /** Moved on by every write to an address: a store read that started before one must not seed. */
  private readonly generations = new Map<string, number>();
  private counter = 0;
  /** What an address not in `generations` reads as: the counter when they were last cleared. */
  private floor = 0;
  /**
   * Per address, the newest checkpoint id that got writes while no entry recorded them (none yet,
   * or dropped). Those writes are in the store, but a store read returns a checkpoint's writes only
   * once the checkpoint is stored too: until a read finds that checkpoint, no entry can know them.
   */
  private readonly unrecorded = new Map<string, string>();

  constructor(private readonly maxAddresses = 64) {}

  generation(threadId: string, ns: string): number {
    return this.generations.get(addressOf(threadId, ns)) ?? this.floor;
  }

  /** A write to the namespace was just pushed: store reads already on their way must not seed. */
  touch(threadId: string, ns: string): void {
    this.bump(addressOf(threadId, ns));
  }

  /** What a read of the newest checkpoint found in the store (undefined: none), unless writes came since. */
  seed(threadId: string, ns: string, generation: number, found: StoredSaverTuple | undefined): void {
    const address = addressOf(threadId, ns);
    if (this.generation(threadId, ns) !== generation) return;
    const missed = this.unrecorded.get(address);
    if (missed !== undefined) {
      if (!found || found.checkpointId < missed) return void this.drop(address);
      this.unrecorded.delete(address);
    }
    const previous = this.entries.get(address);
    const entry: Entry = { threadId, blobs: new Map(), writes: new Map() };
    // Writes of checkpoints not stored yet (LangGraph sends them first) are not in what was found.
    for (const [id, slots] of previous?.writes ?? []) if (!found || id > found.checkpointId) entry.writes.set(id, slots);
    if (found) {
      if (found.v < 4 || found.parentSends) return void this.drop(address);
      entry.latest = { ...found, pendingWrites: [] };
      for (const [channel, version] of Object.entries(found.channelVersions)) {
        entry.blobs.set(blobId(channel, version), Object.hasOwn(found.channelValues, channel) ? found.channelValues[channel] : null);
      }
      entry.writes.set(found.checkpointId, new Map(found.pendingWrites.map((w) => [slotId(w.taskId, w.idx), w])));
    }
    this.set(address, entry);
  }

  put(r: SaverPutRequest): void {
    const address = addressOf(r.threadId, r.ns);
    const entry = this.entries.get(address);
    if (!entry) {
      // A read that seeds from now on waits for this put to be stored, so finds its writes too.
      const missed = this.unrecorded.get(address);
      if (missed !== undefined && r.checkpointId >= missed) this.unrecorded.delete(address);
      return;
    }
    if (r.v < 4) return void this.drop(address);
    for (const b of r.blobs) {
      const id = blobId(b.channel, b.version);
      if (!entry.blobs.has(id)) entry.blobs.set(id, b.value);
    }
    const latest = entry.latest;
    // The store's newest is the greatest id, whatever order they were put in.
    if (latest && r.checkpointId < latest.checkpointId) return;
    entry.latest = {
      threadId: r.threadId,
      ns: r.ns,
      checkpointId: r.checkpointId,
      ...(r.parentId !== undefined ? { parentId: r.parentId } : {}),
      v: r.v,
      checkpoint: r.checkpoint,
      metadata: r.metadata,
      channelValues: {},
      channelVersions: { ...r.channelVersions },
      pendingWrites: [],
    };
    // Writes of older checkpoints and values no newer checkpoint names are not needed again.
    for (const id of entry.writes.keys()) if (id < r.checkpointId) entry.writes.delete(id);
    const named = new Set(Object.entries(r.channelVersions).map(([c, v]) => blobId(c, v)));
    for (const id of entry.blobs.keys()) if (!named.has(id)) entry.blobs.delete(id);
  }

  putWrites(r: SaverPutWritesRequest): void {
    const address = addressOf(r.threadId, r.ns);
    const entry = this.entries.get(address);
    if (!entry) return this.miss(address, r.checkpointId);
    // LangGraph sends a checkpoint's writes before (or while) it puts the checkpoint.
    if (entry.latest && r.checkpointId < entry.latest.checkpointId) return;
    let slots = entry.writes.get(r.checkpointId);
    if (!slots) entry.writes.set(r.checkpointId, (slots = new Map()));
    for (const w of r.writes) {
      const id = slotId(r.taskId, w.idx);
      if (w.idx >= 0 && slots.has(id)) continue;
      slots.set(id, { taskId: r.taskId, taskPath: r.taskPath, idx: w.idx, channel: w.channel, value: w.value });
    }
  }

  /** The newest checkpoint (or the one named, when it is the newest), if known whole. */
  answer(threadId: string, ns: string, checkpointId: string | undefined): StoredSaverTuple | undefined {
    const entry = this.entries.get(addressOf(threadId, ns));
    const latest = entry?.latest;
    if (!entry || !latest || (checkpointId !== undefined && checkpointId !== latest.checkpointId)) return undefined;
    const channelValues: Record<string, SerializedValue> = {};
    for (const [channel, version] of Object.entries(latest.channelVersions)) {
      const value = entry.blobs.get(blobId(channel, version));
      if (value === undefined) return undefined;
      if (value !== null) channelValues[channel] = value;
    }
    const writes = [...(entry.writes.get(latest.checkpointId)?.values() ?? [])].sort(compareWrites);
    return { ...latest, channelValues, pendingWrites: writes };
  }

  /** Forgets a namespace (a write to it failed). */
  forget(threadId: string, ns: string): void {
    const address = addressOf(threadId, ns);
    this.bump(address);
    this.drop(address);
  }

  /** Forgets every namespace of the thread (deleted, copied onto, pruned). */
  forgetThread(threadId: string): void {
    for (const [address, entry] of this.entries) {
      if (entry.threadId !== threadId) continue;
      this.bump(address);
      this.drop(address);
    }
  }

  clear(): void {
    for (const address of [...this.entries.keys()]) {
      this.bump(address);
      this.drop(address);
    }
  }

  /** Forgets an entry; the writes it held for checkpoints newer than its newest become unrecorded. */
  private drop(address: string): void {
    const entry = this.entries.get(address);
    if (!entry) return;
    this.entries.delete(address);
    const latest = entry.latest?.checkpointId;
    for (const id of entry.writes.keys()) if (latest === undefined || id > latest) this.miss(address, id);
  }

  private miss(address: string, checkpointId: string): void {
    const known = this.unrecorded.get(address);
    if (known === undefined || checkpointId > known) this.unrecorded.set(address, checkpointId);
  }

  private bump(address: string): void {
    this.generations.set(address, ++this.counter);
    // Bounded: forgetting them all at once only makes reads in flight not seed.
    if (this.generations.size > 4 * this.maxAddresses) {
      this.generations.clear();
      this.floor = this.counter;
    }
  }

  private set(address: string, entry: Entry): void {
    this.entries.delete(address);
    this.entries.set(address, entry);
    // The addresses used longest ago go first: a page runs a few threads at a time.
    for (const old of [...this.entries.keys()]) {
      if (this.entries.size <= this.maxAddresses) break;
      this.drop(old);
    }
  }
}

interface Entry {
  threadId: string;
  latest?: StoredSaverTuple;
  /** (channel, version) -> its value, or null when stored without one. */
  blobs: Map<string, SerializedValue | null>;
  /** checkpoint id -> (task id, idx) -> write. */
  writes: Map<string, Map<string, StoredWrite>>;
}

/** A thread and namespace as one key: the saver's write queue and this cache both go by it. */
export const addressOf = (threadId: string, ns: string): string => JSON.stringify([threadId, ns]);
const blobId = (channel: string, version: string | number) => JSON.stringify([channel, version]);
const slotId = (taskId: string, idx: number) => JSON.stringify([taskId, idx]);
