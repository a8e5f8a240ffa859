/**
 * Lines of writes that must commit in the order they were called. A write first prepares (checks,
 * compresses: from nothing to seconds for a large state) and then opens its transaction; two
 * calls made without waiting, a large save and then a small one of the same thread, would
 * otherwise open their transactions, and so commit, in the order their preparation ended.
 *
 * A call takes its place in its line when it is made. Preparations still run side by side; only
 * the opening of transactions follows the line, and IndexedDB commits write transactions over
 * the same stores in the order they were opened.
 */
export class WriteLines {
  private readonly tails = new Map<string, Promise<void>>();

  /** The next place in `line`, taken now. */
  take(line: string): Turn {
    const ready = this.tails.get(line) ?? Promise.resolve();
    let opened!: () => void;
    const mine = new Promise<void>((resolve) => (opened = resolve));
    this.tails.set(line, mine);
    // Forgotten once passed, unless a later call took the line's end meanwhile.
    void mine.then(() => {
      if (this.tails.get(line) === mine) this.tails.delete(line);
    });
    return { ready, opened, skip: () => void ready.then(opened) };
  }

  /** Resolves when every call taken so far, in every line, has opened its transaction. */
  async allOpened(): Promise<void> {
    await Promise.all(this.tails.values());
  }
}

export interface Turn {
  /** Resolves when every earlier call of the line has opened its transaction (or given up). */
  readonly ready: Promise<void>;
  /** Lets the next call of the line open its transaction: call once this one's is open. */
  opened(): void;
  /** Gives the place up (the call failed before writing), without jumping the line. */
  skip(): void;
}
