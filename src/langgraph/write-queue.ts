import type { SaverWriteOp } from "../types.js";

/**
 * Group commit for the saver's writes. LangGraph sends a checkpoint's put only after the one
 * before it has resolved, and fires each task's putWrites without waiting; one worker round trip
 * and one IndexedDB transaction each made the store, not the graph, set the pace of a run.
 *
 * Writes that arrive while a batch is on its way wait, and go together as the next batch: one
 * call, one transaction, in the order they were made. A write resolves when the transaction
 * holding it has committed, so nothing is acknowledged before it is stored. The next batch
 * leaves one task after the last one settles, which lets the put LangGraph chains behind it join.
 * When a batch fails, its writes are tried one by one, so each gets its own outcome.
 */
export class WriteQueue {
  private queued: Entry[] = [];
  private busy = false;
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly sendBatch: (ops: SaverWriteOp[]) => Promise<void>,
    private readonly sendOne: (op: SaverWriteOp) => Promise<unknown>,
  ) {}

  /**
   * Takes the write's place in line now, while its request is still being serialized: two
   * writes to one slot (a task's interrupt, then its resume) land in the order they were made.
   */
  push(op: Promise<SaverWriteOp>, address?: string): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.queued.push({ op, resolve, reject }));
    this.last = done.catch(() => {});
    if (address !== undefined) {
      const settled = this.last;
      this.lastAt.set(address, settled);
      // Forgotten once settled, unless a later write to the address took its place.
      void settled.then(() => {
        if (this.lastAt.get(address) === settled) this.lastAt.delete(address);
      });
    }
    if (!this.busy) {
      this.busy = true;
      nextTask(() => void this.flush());
    }
    return done;
  }

  /**
   * Resolves once every write pushed before the call has settled; with an address, every write
   * pushed with that address (a read of one thread and namespace need not wait for others).
   */
  settled(address?: string): Promise<void> {
    if (address === undefined) return this.last;
    return this.lastAt.get(address) ?? Promise.resolve();
  }

  /** Whether writes pushed with this address have not all settled yet. */
  pending(address: string): boolean {
    return this.lastAt.has(address);
  }

  private readonly lastAt = new Map<string, Promise<void>>();


  private async flush(): Promise<void> {
    const waiting = this.queued.splice(0);
    if (waiting.length === 0) {
      this.busy = false;
      return;
    }
    const ready: Array<Entry & { request: SaverWriteOp }> = [];
    for (const entry of waiting) {
      try {
        ready.push({ ...entry, request: await entry.op });
      } catch (e) {
        entry.reject(e);
      }
    }
    try {
      if (ready.length === 1) await this.sendOne(ready[0].request);
      else if (ready.length > 1) await this.sendBatch(ready.map((b) => b.request));
      for (const b of ready) b.resolve();
    } catch (e) {
      if (ready.length === 1) ready[0].reject(e);
      // Each on its own: one bad write must not fail the others (writes are idempotent).
      else for (const b of ready) await this.sendOne(b.request).then(b.resolve, b.reject);
    }
    nextTask(() => void this.flush());
  }
}

interface Entry {
  op: Promise<SaverWriteOp>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Runs `fn` in a task of its own, after the microtasks of this one (promise callbacks that will
 * issue more writes). A message port, not setTimeout, which browsers clamp to 4 ms when nested.
 */
function nextTask(fn: () => void): void {
  const g = globalThis as { setImmediate?: (fn: () => void) => void };
  if (typeof g.setImmediate === "function") {
    g.setImmediate(fn);
    return;
  }
  channel ??= createChannel();
  channel.waiting.push(fn);
  channel.port.postMessage(null);
}

let channel: { port: MessagePort; waiting: Array<() => void> } | undefined;

function createChannel(): { port: MessagePort; waiting: Array<() => void> } {
  const { port1, port2 } = new MessageChannel();
  const waiting: Array<() => void> = [];
  port1.onmessage = () => waiting.shift()?.();
  return { port: port2, waiting };
}
