import type { Database, WriteTx } from "../db.js";
import { releaseTree } from "./chunk-store.js";

type Owed = [level: number, key: string, count: number];

/** How long a failed settlement waits before it is tried again. */
const RETRY_MS = 10_000;

/**
 * References a delete-only transaction dropped but could not count down. Right after a quota
 * error Firefox lets the next write only delete; lowering the count of a chunk that other
 * payloads still share is a put, so a thread delete that frees space on a full disk would fail.
 * In such a transaction the counts are left as they are and owed; once it has committed they are
 * lowered in a write of their own (freeing what no one refers to any more). A count left owed
 * (the worker stopped first) is too high: its chunk is kept too long, never freed too early.
 */
export class OwedRefs {
  private owed: Owed[] = [];
  private readonly pending = new WeakMap<object, Owed[]>();
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly db: Database) {}

  /** Where the releases of `tx` leave the counts they may not write; undefined when they may. */
  sinkFor(tx: WriteTx): Owed[] | undefined {
    if (!this.db.mayOnlyDelete(tx)) return undefined;
    let list = this.pending.get(tx);
    if (!list) {
      list = [];
      this.pending.set(tx, list);
      // Owed only if the transaction's deletes happened.
      tx.done.then(
        () => {
          this.owed.push(...list!);
          void this.settle();
        },
        () => {},
      );
    }
    return list;
  }

  /**
   * A write just committed, so there may be room again: counts still owed are lowered now rather
   * than at the next timed try.
   */
  afterWrite(tx: WriteTx): void {
    if (this.owed.length > 0) tx.done.then(() => this.settle(), () => {});
  }

  private async settle(): Promise<void> {
    const owed = this.owed.splice(0);
    if (owed.length === 0) return;
    try {
      await this.db.write(["blobs"], async (tx) => {
        for (const [level, key, count] of owed) await releaseTree(tx, level, Array.from({ length: count }, () => [key, 0, 0]));
      }, "lowering reference counts");
    } catch {
      // Still full, or closed: tried again later; a closed store's counts stay high (see above).
      this.owed.unshift(...owed);
      clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.settle(), RETRY_MS);
    }
  }
}
