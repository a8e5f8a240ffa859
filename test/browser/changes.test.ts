import { describe, it, expect } from "vitest";
import { openStore, isStoreError, type StoreChange } from "../../src/index";
import { uniqueName } from "../conformance/backend";

/**
 * Live updates through the real worker: a write announces itself after it committed, to this
 * tab's subscribers and to those of another store on the same database (another worker, as a
 * second tab has). Two openStore calls in one page stand for two tabs: each has its own worker.
 */

const bytes = (text: string) => new TextEncoder().encode(text);

/** Collects changes; `next(n)` resolves once n have arrived. */
function collector() {
  const seen: StoreChange[] = [];
  const waiters: Array<() => void> = [];
  const listener = (c: StoreChange) => {
    seen.push(c);
    for (const w of waiters.splice(0)) w();
  };
  const next = async (n: number, timeoutMs = 3000) => {
    const until = performance.now() + timeoutMs;
    while (seen.length < n) {
      if (performance.now() > until) throw new Error(`only ${seen.length} of ${n} changes arrived: ${JSON.stringify(seen)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return seen;
  };
  return { seen, listener, next };
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe("store.subscribe: live updates", () => {
  it("announces a committed save to this store's subscriber, with its thread id, marked local", async () => {
    const store = await openStore({ name: uniqueName("changes") });
    const c = collector();
    const stop = store.subscribe(c.listener);
    try {
      await store.threads.save("thread-a", { title: "A" }, bytes("hello"));
      const [change] = await c.next(1);
      expect(change).toMatchObject({ store: "threads", method: "save", threadId: "thread-a", local: true });
      expect(typeof change.at).toBe("number");
      // The notice comes after the commit: reading the thread at that moment finds the save.
      expect(await store.threads.count("thread-a")).toBe(1);
    } finally {
      stop();
      await store.close();
    }
  });

  it("tells another tab's store (another worker on the same database) about the change, not marked local", async () => {
    const name = uniqueName("changes");
    const [writer, reader] = [await openStore({ name }), await openStore({ name })];
    const c = collector();
    const stop = reader.subscribe(c.listener);
    try {
      await writer.events.append("thread-b", 0, { type: "hello" });
      await writer.events.finishTurn("thread-b", 0);
      const [change] = await c.next(1);
      expect(change).toMatchObject({ store: "events", method: "finishTurn", threadId: "thread-b", local: false });
      expect((await reader.events.getTurn("thread-b", 0))?.events).toEqual([{ type: "hello" }]);
    } finally {
      stop();
      await writer.close();
      await reader.close();
    }
  });

  it("passes only the subscribed thread's changes when given a threadId", async () => {
    const store = await openStore({ name: uniqueName("changes") });
    const c = collector();
    const stop = store.subscribe(c.listener, { threadId: "wanted" });
    try {
      await store.threads.save("other", {}, bytes("x"));
      await store.threads.save("wanted", {}, bytes("y"));
      await store.threads.deleteThread("other");
      await store.threads.deleteThread("wanted");
      await c.next(2);
      await settle();
      expect(c.seen.map((x) => [x.threadId, x.method])).toEqual([
        ["wanted", "save"],
        ["wanted", "deleteThread"],
      ]);
    } finally {
      stop();
      await store.close();
    }
  });

  it("announces neither reads nor failed writes, and nothing after unsubscribe", async () => {
    const store = await openStore({ name: uniqueName("changes") });
    const c = collector();
    const stop = store.subscribe(c.listener);
    try {
      await store.threads.list("t");
      const err = await store.threads.save("t", {}, "not bytes" as unknown as Uint8Array).catch((e: unknown) => e);
      expect(isStoreError(err, "INVALID_ARGUMENT")).toBe(true);
      await store.runs.createRun("run-1", "wf", {});
      const [change] = await c.next(1);
      expect(change).toMatchObject({ store: "runs", method: "createRun", runId: "run-1" });
      stop();
      await store.threads.save("t", {}, bytes("after"));
      await settle();
      expect(c.seen).toHaveLength(1);
    } finally {
      stop();
      await store.close();
    }
  });

  it("rejects bad subscribe options with INVALID_ARGUMENT", async () => {
    const store = await openStore({ name: uniqueName("changes") });
    try {
      for (const bad of [() => store.subscribe("nope" as never), () => store.subscribe(() => {}, { threadID: "x" } as never), () => store.subscribe(() => {}, { threadId: "" })]) {
        let err: unknown;
        try {
          bad();
        } catch (e) {
          err = e;
        }
        expect(isStoreError(err, "INVALID_ARGUMENT")).toBe(true);
      }
    } finally {
      await store.close();
    }
  });
});

describe("store.usage: bytes per thread and in total", () => {
  it("counts each thread's raw and stored bytes; a compressible state is stored in fewer bytes than given", async () => {
    const store = await openStore({ name: uniqueName("usage") });
    try {
      const state = bytes("the same sentence again and again. ".repeat(2000)); // 70 KB, chunked
      await store.threads.save("big", { title: "big" }, state);
      await store.threads.save("small", { title: "small" }, bytes("hi"));
      await store.events.append("small", 0, { type: "x" });
      await store.events.finishTurn("small", 0);
      const usage = await store.usage();
      expect(usage.threads.map((t) => t.threadId)).toEqual(["big", "small"]);
      const [big, small] = usage.threads;
      expect(big.raw).toBeGreaterThan(state.length);
      expect(big.stored).toBeGreaterThan(0);
      expect(big.stored).toBeLessThan(state.length / 4);
      expect(small.rows).toBeGreaterThanOrEqual(3); // checkpoint, head, turn row, event
      expect(usage.total.stored).toBeGreaterThanOrEqual(big.stored + small.stored);
      expect(usage.total.raw).toBeGreaterThanOrEqual(big.raw + small.raw);
      // WebKitGTK has no navigator.storage: no estimate there, rather than a made-up one.
      if (typeof navigator.storage?.estimate === "function") expect(usage.estimate?.quota).toBeGreaterThan(0);
      else expect(usage.estimate).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("grows with a second version of a state by less than the state, and drops to zero after deleteThread", async () => {
    const store = await openStore({ name: uniqueName("usage") });
    try {
      let text = "";
      for (let i = 0; i < 3000; i++) text += `message ${i}: ${Math.sin(i).toFixed(6)}\n`;
      await store.threads.save("chat", {}, bytes(text));
      const one = (await store.usage({ threadIds: ["chat"] })).threads[0];
      await store.threads.save("chat", {}, bytes(text + "one more message\n"));
      const two = (await store.usage({ threadIds: ["chat"] })).threads[0];
      expect(two.raw).toBeGreaterThan(one.raw + text.length);
      expect(two.stored - one.stored).toBeLessThan(one.stored / 2);
      await store.threads.deleteThread("chat");
      const [gone, unknown] = (await store.usage({ threadIds: ["chat", "never"] })).threads;
      expect(gone).toEqual({ threadId: "chat", rows: 0, raw: 0, stored: 0 });
      expect(unknown).toEqual({ threadId: "never", rows: 0, raw: 0, stored: 0 });
    } finally {
      await store.close();
    }
  });

  it("rejects bad usage options with INVALID_ARGUMENT", async () => {
    const store = await openStore({ name: uniqueName("usage") });
    try {
      for (const bad of [{ threadIds: "x" }, { threadIds: [""] }, { threads: [] }]) {
        expect(isStoreError(await store.usage(bad as never).catch((e: unknown) => e), "INVALID_ARGUMENT")).toBe(true);
      }
    } finally {
      await store.close();
    }
  });
});
