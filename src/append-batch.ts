import { errorFromWire, type WireError } from "./wire.js";

/** One call's outcome in a batch: its value, or the error it threw. */
export type CallOutcome = { value: unknown } | { error: WireError };

export interface AppendBatchOptions {
  /** Sends several calls' arguments in one message; resolves with each call's outcome, in order. */
  sendMany(argLists: unknown[][]): Promise<CallOutcome[]>;
  /** Sends one call on its own. */
  sendOne(args: unknown[]): Promise<unknown>;
  /**
   * How many messages postMessage has refused so far: a batch it refused (a value it cannot
   * clone) never left, and its calls are sent one by one at once, so that only the bad one fails.
   */
  refused(): number;
}

/**
 * Event appends made in one task travel to the worker as one message, with one answer: an agent
 * streaming tokens appends many small events at once, and a message each way per event cost more
 * than the event store's own work (50 appends: 100 messages, against 2). Each append still gets
 * its own outcome, and the worker admits them one by one in the order they were made.
 *
 * `send()` puts what is queued on its way at once; every other call of the event store calls it
 * first, so it reaches the worker after the appends made before it.
 */
export class AppendBatch {
  private queued: Array<{ args: unknown[]; resolve: (value: unknown) => void; reject: (e: unknown) => void }> = [];

  constructor(private readonly options: AppendBatchOptions) {}

  push(args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // After the calls of this task (a loop of appends), before anything else can run.
      if (this.queued.length === 0) queueMicrotask(() => this.send());
      this.queued.push({ args, resolve, reject });
    });
  }

  send(): void {
    const batch = this.queued.splice(0);
    if (batch.length === 0) return;
    const one = (b: (typeof batch)[number]) => {
      this.options.sendOne(b.args).then(b.resolve, b.reject);
    };
    if (batch.length === 1) return one(batch[0]);
    const refused = this.options.refused();
    const answered = this.options.sendMany(batch.map((b) => b.args));
    if (this.options.refused() !== refused) {
      answered.catch(() => {});
      batch.forEach(one);
      return;
    }
    answered.then(
      (outcomes) =>
        batch.forEach((b, i) => {
          const outcome = outcomes[i];
          if (outcome && "error" in outcome) b.reject(errorFromWire(outcome.error));
          else b.resolve(outcome?.value);
        }),
      (e: unknown) => batch.forEach((b) => b.reject(e)),
    );
  }
}
