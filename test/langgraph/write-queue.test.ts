import { describe, expect, it } from "vitest";
import { WriteQueue } from "../../src/langgraph/write-queue";
import type { SaverWriteOp } from "../../src/types";

const op = (id: string): SaverWriteOp => ({ putWrites: { threadId: "t", ns: "", checkpointId: id, taskId: "task", taskPath: "", writes: [] } });
const idOf = (o: SaverWriteOp) => ("put" in o ? o.put.checkpointId : o.putWrites.checkpointId);

/** A host that records calls and commits when told to. */
function host() {
  const calls: string[][] = [];
  const commits: Array<{ ids: string[]; commit(): void; fail(e: Error): void }> = [];
  const send = (ops: SaverWriteOp[]) =>
    new Promise<void>((resolve, reject) => {
      const ids = ops.map(idOf);
      calls.push(ids);
      commits.push({ ids, commit: resolve, fail: reject });
    });
  return { calls, commits, sendBatch: send, sendOne: (o: SaverWriteOp) => send([o]) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("WriteQueue: the adapter's group commit", () => {
  it("sends the writes made while a batch is on its way as the next batch, in order, each resolving only when its own batch commits", async () => {
    const h = host();
    const q = new WriteQueue(h.sendBatch, h.sendOne);
    const done: string[] = [];
    const push = (id: string) => q.push(Promise.resolve(op(id))).then(() => done.push(id));
    const first = push("1");
    await tick();
    const rest = ["2", "3", "4"].map(push);
    await tick();
    expect(h.calls).toEqual([["1"]]);
    h.commits[0].commit();
    await first;
    await tick();
    expect(h.calls).toEqual([["1"], ["2", "3", "4"]]);
    expect(done).toEqual(["1"]);
    h.commits[1].commit();
    await Promise.all(rest);
    expect(done).toEqual(["1", "2", "3", "4"]);
  });

  it("keeps the order writes were made in, even when an earlier one takes longer to serialize", async () => {
    const h = host();
    const q = new WriteQueue(h.sendBatch, h.sendOne);
    let serialize!: (o: SaverWriteOp) => void;
    const slow = q.push(new Promise<SaverWriteOp>((r) => (serialize = r)));
    const fast = q.push(Promise.resolve(op("fast")));
    await tick();
    serialize(op("slow"));
    await tick();
    await tick();
    expect(h.calls[0]).toEqual(["slow", "fast"]);
    h.commits[0].commit();
    await Promise.all([slow, fast]);
  });

  it("tries each write of a failed batch on its own, so one bad write fails alone", async () => {
    const h = host();
    const q = new WriteQueue(h.sendBatch, h.sendOne);
    const blocker = q.push(Promise.resolve(op("0")));
    await tick();
    const results = ["good", "bad", "also-good"].map((id) => q.push(Promise.resolve(op(id))).then(() => "ok", (e: Error) => e.message));
    h.commits[0].commit();
    await blocker;
    await tick();
    h.commits[1].fail(new Error("batch failed"));
    for (let i = 2; i < 5; i++) {
      while (h.commits.length <= i) await tick();
      if (h.commits[i].ids[0] === "bad") h.commits[i].fail(new Error("bad write"));
      else h.commits[i].commit();
    }
    expect(await Promise.all(results)).toEqual(["ok", "bad write", "ok"]);
    expect(h.calls.slice(2)).toEqual([["good"], ["bad"], ["also-good"]]);
  });
});
