/**
 * Calls that reach the worker in the order they were made, although each may first prepare its
 * arguments asynchronously (copying a large array, computing embeddings). A call is sent once
 * its own preparation is done and every call made before it has been sent; it does not wait for
 * the replies of those before it.
 */
export class CallOrder {
  /** Settles once every call made so far has been sent (or failed before); unset when it has. */
  private sent: Promise<void> | undefined;

  /** Whether an earlier call is still waiting to be sent. */
  get busy(): boolean {
    return this.sent !== undefined;
  }

  /** Settles once every call made so far has been sent. */
  async idle(): Promise<void> {
    await this.sent;
  }

  /**
   * Sends `prepared`'s value with `send` in its turn. A failed preparation rejects this call
   * alone, after the calls before it were sent; the calls after it go on.
   */
  send<P, R>(prepared: Promise<P>, send: (value: P) => Promise<R>): Promise<R> {
    const before = this.sent;
    // Their errors reach the caller through the promise returned below, possibly a while later.
    prepared.catch(() => {});
    let result!: Promise<R>;
    const turn = (async () => {
      await before;
      result = send(await prepared);
      result.catch(() => {});
    })();
    const mine = turn.catch(() => {});
    this.sent = mine;
    void mine.then(() => {
      if (this.sent === mine) this.sent = undefined;
    });
    return turn.then(() => result);
  }
}
