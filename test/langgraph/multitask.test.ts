import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph";
import { IndexedDBSaver, runThread, type MultitaskStrategy } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { buildSlowGraph } from "./multitask-graph";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";
import type { LG } from "./graph-scenarios";

/**
 * runThread's strategies within one realm (Node has no Web Locks: the realm-local lock stands
 * in). The two-tab versions are in test/e2e/multitask.test.ts.
 */
describe("runThread: a second run of a busy thread follows its strategy (one realm, engine on fake-indexeddb)", () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  async function race(strategy: MultitaskStrategy) {
    const engine = await openTestEngine(uniqueName("lg-multitask"));
    engines.push(engine);
    const saver = new IndexedDBSaver(engine);
    // Steps long enough that a stop request reaches the first run before it ends, on a busy machine.
    const graph = buildSlowGraph(lg as unknown as LG, saver, 150);
    const thread = "chat";
    const first = runThread({ saver, threadId: thread }, (run) => graph.invoke({ label: "A" }, run.config()));
    // The second arrives while the first is between its second and third step.
    for (;;) {
      const log = (await graph.getState({ configurable: { thread_id: thread } })).values.log ?? [];
      if (log.length >= 2) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    let waited = false;
    const second = runThread({ saver, threadId: thread, strategy, onWait: () => (waited = true) }, (run) => graph.invoke({ label: "B" }, run.config()));
    const [a, b] = await Promise.allSettled([first, second]);
    const final = (await graph.getState({ configurable: { thread_id: thread } })).values.log;
    return { a, b, final, waited };
  }

  it("reject: the second run rejects with THREAD_BUSY naming the thread, the first finishes", async () => {
    const { a, b, final } = await race("reject");
    expect(a.status).toBe("fulfilled");
    expect(b).toMatchObject({ status: "rejected", reason: { name: "StoreError", code: "THREAD_BUSY", retryable: true } });
    expect((b as PromiseRejectedResult).reason.message).toContain('"chat"');
    expect(final).toEqual(["A0", "A1", "A2", "A3", "A4"]);
  });

  it("enqueue: the second run waits for the first and then runs", async () => {
    const { a, b, final, waited } = await race("enqueue");
    expect([a.status, b.status]).toEqual(["fulfilled", "fulfilled"]);
    expect(waited).toBe(true);
    expect(final).toEqual(["A0", "A1", "A2", "A3", "A4", "B0", "B1", "B2", "B3", "B4"]);
  });

  it("interrupt: the first run stops (CONFLICT) keeping what it checkpointed, then the second runs", async () => {
    const { a, b, final } = await race("interrupt");
    expect(a).toMatchObject({ status: "rejected", reason: { name: "StoreError", code: "CONFLICT", retryable: false } });
    expect(b.status).toBe("fulfilled");
    const kept = final!.filter((x) => x.startsWith("A"));
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.length).toBeLessThan(5);
    expect(final).toEqual([...kept, "B0", "B1", "B2", "B3", "B4"]);
  });

  it("rollback: the first run stops and its checkpoints are deleted, then the second runs as if it never was", async () => {
    const { a, b, final } = await race("rollback");
    expect(a).toMatchObject({ status: "rejected", reason: { name: "StoreError", code: "CONFLICT" } });
    expect(b.status).toBe("fulfilled");
    expect(final).toEqual(["B0", "B1", "B2", "B3", "B4"]);
  });
});
