import { describe, expect, it } from "vitest";
import { openStore, isStoreError, StoreError, withThreadLock, isThreadBusy } from "../../src/index";
import { uniqueName } from "../conformance/backend";

/**
 * The edges where an app loses or doubles work without noticing: closing with calls in flight,
 * options that are wrong, oversized events, a worker that does not load, two runs of one thread.
 * Each through the real worker.
 */

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as StoreError);

describe("close() drains", () => {
  it("keeps 100 saves that were not awaited before close(), and every one resolves", async () => {
    const name = uniqueName("drain");
    const store = await openStore({ name });
    const saves = Array.from({ length: 100 }, (_, i) => store.threads.save("t", { i }, new Uint8Array([i, i, i])));
    await store.close();
    const outcomes = await Promise.allSettled(saves);
    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
    const again = await openStore({ name });
    try {
      expect(await again.threads.count("t")).toBe(100);
      expect((await again.threads.list("t")).map((m) => m.metadata.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    } finally {
      await again.close();
    }
  });

  it("writes events appended without awaiting, then the turn finished without awaiting, before close() resolves", async () => {
    const name = uniqueName("drain-events");
    const store = await openStore({ name, eventFlushMs: 60_000 });
    for (let i = 0; i < 20; i++) void store.events.append("t", 0, { i });
    void store.events.append("t", 1, { open: true });
    void store.events.finishTurn("t", 0);
    await store.close();
    const again = await openStore({ name });
    try {
      expect(await again.events.getTurn("t", 0)).toMatchObject({ finished: true, events: Array.from({ length: 20 }, (_, i) => ({ i })) });
      expect(await again.events.getTurn("t", 1)).toEqual({ threadId: "t", turn: 1, events: [{ open: true }], finished: false });
    } finally {
      await again.close();
    }
  });

  it("rejects a call made after close() at once with DATABASE_CLOSED, not retryable", async () => {
    const store = await openStore({ name: uniqueName("after-close") });
    const closing = store.close();
    const err = await errorOf(store.threads.count("t"));
    await closing;
    const later = await errorOf(store.events.append("t", 0, {}));
    for (const e of [err, later]) {
      expect(isStoreError(e, "DATABASE_CLOSED")).toBe(true);
      expect(e!.retryable).toBe(false);
    }
    await store.close();
  });

  it("flush() resolves after buffered events are written: a second store sees them", async () => {
    const name = uniqueName("flush");
    const a = await openStore({ name, eventFlushMs: 60_000 });
    const b = await openStore({ name });
    try {
      await a.events.append("t", 0, { n: 1 });
      await a.flush();
      // b reads the rows: a's event is there, not only in a's buffer.
      expect(await b.events.getTurn("t", 0)).toEqual({ threadId: "t", turn: 0, events: [{ n: 1 }], finished: false });
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("two handles on one turn", () => {
  it("a turn finished by another store (another worker) keeps the first store's resolved appends, also after reopening", async () => {
    const name = uniqueName("two-handles");
    const a = await openStore({ name, eventFlushMs: 60_000 });
    const b = await openStore({ name, eventFlushMs: 60_000 });
    await a.events.append("t", 3, { from: "a", n: 1 });
    await a.events.append("t", 3, { from: "a", n: 2 });
    await b.events.append("t", 3, { from: "b" });
    await b.events.finishTurn("t", 3);
    const turn = await b.events.getTurn("t", 3);
    expect(turn?.finished).toBe(true);
    expect(turn?.events).toHaveLength(3);
    expect(turn?.events.filter((e) => e.from === "a")).toEqual([{ from: "a", n: 1 }, { from: "a", n: 2 }]);
    expect(isStoreError(await errorOf(a.events.append("t", 3, { late: true })), "TURN_FINISHED")).toBe(true);
    await a.close();
    await b.close();
    const c = await openStore({ name });
    expect((await c.events.getTurn("t", 3))?.events).toEqual(turn?.events);
    await c.close();
  });
});

describe("options and caps", () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ["an unknown key", { timeoutMS: 100 }],
    ["a negative timeout", { timeoutMs: -1 }],
    ["NaN", { eventFlushMs: NaN }],
    ["Infinity", { maxPayloadBytes: Infinity }],
    ["a string for a number", { maxPayloadBytes: "big" }],
    ["an unknown durability", { durability: "fast" }],
    ["a non-function onClose", { onClose: "yes" }],
    ["an engine-only option", { indexedDB: {} }],
  ];
  for (const [what, options] of bad) {
    it(`rejects ${what} with INVALID_ARGUMENT before starting a worker`, async () => {
      const err = await errorOf(openStore({ name: uniqueName("opts"), ...options } as never));
      expect(isStoreError(err, "INVALID_ARGUMENT")).toBe(true);
      expect(err!.retryable).toBe(false);
    });
  }

  it("names the known key a misspelt one was meant to be", async () => {
    const err = await errorOf(openStore({ name: uniqueName("opts"), timeoutMS: 100 } as never));
    expect(err!.message).toContain('"timeoutMs"');
  });

  it("rejects an oversized event and oversized metadata with PAYLOAD_TOO_LARGE and writes nothing", async () => {
    const store = await openStore({ name: uniqueName("caps"), maxEventBytes: 10_000, maxMetadataBytes: 10_000 });
    try {
      const big = "x".repeat(20_000);
      expect(isStoreError(await errorOf(store.events.append("t", 0, { big })), "PAYLOAD_TOO_LARGE")).toBe(true);
      expect(isStoreError(await errorOf(store.threads.save("t", { big }, new Uint8Array(1))), "PAYLOAD_TOO_LARGE")).toBe(true);
      await store.runs.createRun("r", "w", {});
      expect(isStoreError(await errorOf(store.runs.appendEvent({ runId: "r", kind: "k", data: big })), "PAYLOAD_TOO_LARGE")).toBe(true);
      expect(isStoreError(await errorOf(store.runs.createRun("r2", "w", { big })), "PAYLOAD_TOO_LARGE")).toBe(true);
      expect(await store.events.getTurns("t")).toEqual([]);
      expect(await store.threads.count("t")).toBe(0);
      expect(await store.runs.getEvents("r", undefined, 10)).toEqual([]);
      expect(await store.runs.getRun("r2")).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("rejects a worker script that does not load with WORKER_GONE, saying it failed to load", async () => {
    const worker = new Worker(new URL("/no-such-worker-script.js", location.href), { type: "module" });
    const err = await errorOf(openStore({ name: uniqueName("404"), worker, timeoutMs: 10_000 }));
    expect(isStoreError(err, "WORKER_GONE")).toBe(true);
    expect(err!.retryable).toBe(false);
    expect(err!.message).toMatch(/failed to load|failed/);
  });
});

describe("run statuses and times", () => {
  it("starts a run as running and moves updatedAt on every saved checkpoint and appended event", async () => {
    const store = await openStore({ name: uniqueName("runs") });
    try {
      const run = await store.runs.createRun("r", "w", {});
      expect(run.status).toBe("running");
      await new Promise((r) => setTimeout(r, 5));
      await store.runs.saveCheckpoint("r", "n", new Uint8Array([1]));
      const afterSave = (await store.runs.getRun("r"))!.updatedAt;
      expect(afterSave).toBeGreaterThan(run.updatedAt);
      await new Promise((r) => setTimeout(r, 5));
      await store.runs.appendEvent({ runId: "r", kind: "k" });
      expect((await store.runs.getRun("r"))!.updatedAt).toBeGreaterThan(afterSave);
      const dup = await errorOf(store.runs.createRun("r", "w", {}));
      expect(isStoreError(dup, "CONFLICT")).toBe(true);
      expect(dup!.retryable).toBe(false);
    } finally {
      await store.close();
    }
  });
});

describe("withThreadLock", () => {
  it("runs one holder of a thread at a time; a second waits its turn, after onWait", async () => {
    const store = uniqueName("lock");
    const order: string[] = [];
    let release!: () => void;
    const first = withThreadLock(store, "t", async () => {
      order.push("first start");
      await new Promise<void>((r) => (release = r));
      order.push("first end");
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(await isThreadBusy(store, "t")).toBe(true);
    const second = withThreadLock(store, "t", () => order.push("second"), { onWait: () => order.push("second waits") });
    await new Promise((r) => setTimeout(r, 20));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["first start", "second waits", "first end", "second"]);
    expect(await isThreadBusy(store, "t")).toBe(false);
  });

  it("rejects with THREAD_BUSY, running nothing, when asked not to wait; other threads are free", async () => {
    const store = uniqueName("lock");
    let release!: () => void;
    const held = withThreadLock(store, "t", () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    let ran = false;
    const err = await errorOf(withThreadLock(store, "t", () => (ran = true), { ifBusy: "reject" }));
    expect(isStoreError(err, "THREAD_BUSY")).toBe(true);
    expect(err!.retryable).toBe(true);
    expect(err!.message).toContain('"t"');
    expect(ran).toBe(false);
    expect(await withThreadLock(store, "other", () => "free", { ifBusy: "reject" })).toBe("free");
    release();
    await held;
  });

  it("gives up waiting when its signal aborts, and releases the thread when the holder throws", async () => {
    const store = uniqueName("lock");
    let release!: () => void;
    const held = withThreadLock(store, "t", () => new Promise<void>((_, reject) => (release = () => reject(new Error("boom")))));
    await new Promise((r) => setTimeout(r, 20));
    const controller = new AbortController();
    const waiting = errorOf(withThreadLock(store, "t", () => "never", { signal: controller.signal }));
    controller.abort(new Error("gave up"));
    expect(((await waiting) as unknown as Error).message).toBe("gave up");
    release();
    await expect(held).rejects.toThrow("boom");
    expect(await withThreadLock(store, "t", () => "next", { ifBusy: "reject" })).toBe("next");
  });

  it("rejects bad arguments with INVALID_ARGUMENT", async () => {
    expect(isStoreError(await errorOf(withThreadLock("", "t", () => 1)), "INVALID_ARGUMENT")).toBe(true);
    expect(isStoreError(await errorOf(withThreadLock("s", "t", () => 1, { ifBusy: "later" } as never)), "INVALID_ARGUMENT")).toBe(true);
    expect(isStoreError(await errorOf(withThreadLock("s", "t", "fn" as never)), "INVALID_ARGUMENT")).toBe(true);
  });
});
