/**
 * Group commit for the saver's writes, in the engine. Each write call takes its place in line the
 * moment it arrives, in arrival order; while one transaction is under way the calls that arrive
 * wait and then go together, in order, in the next one. A call resolves when the transaction
 * holding it has committed, so nothing is acknowledged before it is stored.
 *
 * Why here and not on the page: a page that runs a graph without yielding (LangGraph steps chain
 * through microtasks when writes are pipelined) posts its writes as it goes, but reads no reply
 * until it yields. Grouping on the page had to wait for the previous group's reply, so the worker
 * sat idle while the page ran; grouping here keeps it writing in parallel with the page.
 *
 * When a group's transaction fails, each call of it runs again alone, so one bad call fails
 * alone and the others keep the outcome they would have had on their own. Prepared writes can
 * run twice: the payload module checks in the transaction what is stored.
 */
export class GroupCommit<P> {
  private waiting: Entry<P>[] = [];
  private running: Promise<void> | undefined;

  /** `commit` runs the prepared writes of a group, in order, in one transaction. */
  constructor(private readonly commit: (group: P[]) => Promise<void>) {}

  /**
   * Queues a call's prepared write. Call it synchronously when the call arrives: the order of
   * calls is the order of commits, whatever the time each takes to prepare.
   */
  submit(prepared: Promise<P>): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ prepared, resolve, reject }));
    // Its rejection is reported to its caller by drain().
    prepared.catch(() => {});
    this.running ??= this.drain();
    return done;
  }

  /** Settles once every call submitted so far has settled (whole-thread operations wait for it). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        // While the first call prepares, those right behind it arrive and join its group.
        await this.waiting[0].prepared.catch(() => {});
        const group = this.waiting.splice(0);
        const ready: Array<Entry<P> & { write: P }> = [];
        for (const entry of group) {
          try {
            ready.push({ ...entry, write: await entry.prepared });
          } catch (e) {
            entry.reject(e);
          }
        }
        if (ready.length === 0) continue;
        try {
          await this.commit(ready.map((r) => r.write));
          for (const r of ready) r.resolve();
        } catch (e) {
          if (ready.length === 1) ready[0].reject(e);
          else for (const r of ready) await this.commit([r.write]).then(r.resolve, r.reject);
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}

interface Entry<P> {
  prepared: Promise<P>;
  resolve: () => void;
  reject: (e: unknown) => void;
}
