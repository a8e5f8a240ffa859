import { describe, it, expect } from "vitest";
import { openStore, isStoreError, StoreError } from "../../src/index";
import { uniqueName } from "../conformance/backend";

/**
 * The worker boundary itself: errors cross intact, dead or stalled workers turn into typed
 * rejections instead of hangs, and values that cannot be cloned are refused on the page.
 */

/** A worker that speaks just enough of Comlink's protocol to answer `open` and `ping`. */
function fakeWorker(answerPings: boolean): Worker {
  const source = `
    let opened = false;
    onmessage = (e) => {
      const { id, path } = e.data;
      const name = path && path[0];
      if (name === "open") { opened = true; postMessage({ id, type: "RAW", value: undefined }); return; }
      if (name === "ping" && ${answerPings}) { postMessage({ id, type: "RAW", value: true }); return; }
      // every other call stays unanswered
    };`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  return new Worker(url, { type: "module" });
}

describe("openStore: the worker boundary", () => {
  it("rejects with a StoreError that keeps code, retryable and message across the boundary", async () => {
    const store = await openStore({ name: uniqueName("client") });
    try {
      const err = await store.threads.loadLatest("no-such-thread").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(isStoreError(err, "NOT_FOUND")).toBe(true);
      expect((err as StoreError).retryable).toBe(false);
      expect((err as StoreError).message).toContain("no-such-thread");
    } finally {
      await store.close();
    }
  });

  it("rejects with INVALID_ARGUMENT when an argument cannot be cloned, and writes nothing", async () => {
    const store = await openStore({ name: uniqueName("client") });
    try {
      const err = await store.threads.save("t", { fn: () => 1 } as never, new Uint8Array(1)).catch((e: unknown) => e);
      expect(isStoreError(err, "INVALID_ARGUMENT")).toBe(true);
      expect(await store.threads.count("t")).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("rejects pending calls with WORKER_GONE when the worker is terminated mid-call", async () => {
    const worker = new Worker(new URL("../../worker/main.ts", import.meta.url), { type: "module" });
    const store = await openStore({ name: uniqueName("client"), worker, heartbeatMs: 200, heartbeatTimeoutMs: 1000 });
    const big = crypto.getRandomValues(new Uint8Array(65536));
    const calls = Array.from({ length: 20 }, (_, i) => store.threads.save(`t${i}`, {}, big).then(() => "ok", (e: unknown) => e));
    worker.terminate();
    const started = performance.now();
    const outcomes = await Promise.all(calls);
    const elapsed = performance.now() - started;
    const gone = outcomes.filter((o) => isStoreError(o, "WORKER_GONE")).length;
    const ok = outcomes.filter((o) => o === "ok").length;
    expect(gone + ok).toBe(calls.length);
    expect(gone).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(5000);
    // The store stays dead: later calls fail at once with the same code.
    expect(isStoreError(await store.threads.count("t0").catch((e: unknown) => e), "WORKER_GONE")).toBe(true);
    await store.close();
  });

  it("rejects with WORKER_GONE when the worker stops answering its heartbeat", async () => {
    const store = await openStore({ name: uniqueName("client"), worker: fakeWorker(false), heartbeatMs: 100, heartbeatTimeoutMs: 400 });
    const err = await store.threads.count("t").catch((e: unknown) => e);
    expect(isStoreError(err, "WORKER_GONE")).toBe(true);
    // This store's worker will not come back: retrying the same call cannot succeed.
    expect((err as StoreError).retryable).toBe(false);
    await store.close();
  });

  it("rejects with TIMEOUT when a live worker does not answer a call in time", async () => {
    const store = await openStore({ name: uniqueName("client"), worker: fakeWorker(true), timeoutMs: 500, heartbeatMs: 100 });
    const err = await store.threads.count("t").catch((e: unknown) => e);
    expect(isStoreError(err, "TIMEOUT")).toBe(true);
    // close() cannot confirm that buffered events were flushed, so it says so; the worker still ends.
    const closeErr = await store.close().catch((e: unknown) => e);
    expect(isStoreError(closeErr, "TIMEOUT")).toBe(true);
  });

  it("sends a state over 64 KiB as a copy made at the call and transferred (the caller's array stays whole, a change after the call is not stored), and gets a load back transferred", async () => {
    const moved: number[] = [];
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: unknown) {
      const list = (Array.isArray(transfer) ? transfer : []) as unknown[];
      moved.push(list.reduce<number>((n, t) => n + (t instanceof ArrayBuffer ? t.byteLength : 0), 0));
      return (post as (m: unknown, t?: unknown) => void).call(this, message, transfer);
    } as typeof Worker.prototype.postMessage;
    const store = await openStore({ name: uniqueName("client-transfer") });
    const state = new Uint8Array(1024 * 1024).map((_, i) => (i * 7 + (i >> 10)) & 0xff);
    const want = state.slice();
    let id: string;
    try {
      const saving = store.threads.save("t", {}, state);
      state[0] ^= 0xff;
      id = await saving;
      await store.threads.save("t", {}, new Uint8Array(1024));
    } finally {
      Worker.prototype.postMessage = post;
    }
    expect(moved).toContain(state.byteLength);
    // A small state is cloned as before.
    expect(moved.filter((n) => n > 0)).toHaveLength(1);
    expect(state.byteLength).toBe(1024 * 1024);
    state[0] ^= 0xff;
    // Loaded twice: each load gets a buffer of its own, and the worker's cached bytes stay whole.
    for (let i = 0; i < 2; i++) {
      const { state: loaded } = await store.threads.load("t", id);
      expect(loaded.length).toBe(want.length);
      expect(loaded.every((b, j) => b === want[j])).toBe(true);
      loaded.fill(0);
    }
    await store.close();
  });

  it("hands a large state to the worker in slices, keeps call order around it, leaves the caller's array usable, and sends it before close", async () => {
    // What the page posts to the worker: how many bytes it moved rather than copied, and how many
    // of the page's own tasks ran between the call and the post.
    let ticks = 0;
    const posts: Array<{ moved: number; ticksBefore: number }> = [];
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: unknown) {
      const list = (Array.isArray(transfer) ? transfer : []) as unknown[];
      posts.push({ moved: list.reduce<number>((n, t) => n + (t instanceof ArrayBuffer ? t.byteLength : 0), 0), ticksBefore: ticks });
      return (post as (m: unknown, t?: unknown) => void).call(this, message, transfer);
    } as typeof Worker.prototype.postMessage;
    const store = await openStore({ name: uniqueName("client-large") });
    const large = new Uint8Array(20 * 1024 * 1024).map((_, i) => (i * 31 + (i >> 12)) & 0xff);
    const ticker = new MessageChannel();
    ticker.port1.onmessage = () => {
      ticks++;
      ticker.port2.postMessage(null);
    };
    ticker.port2.postMessage(null);
    const startTicks = ticks;
    let first: string, second: string;
    try {
      [first, second] = await Promise.all([store.threads.save("t", { n: 1 }, large), store.threads.save("t", { n: 2 }, new Uint8Array([2]))]);
    } finally {
      ticker.port1.close();
      Worker.prototype.postMessage = post;
    }
    const handed = posts.find((p) => p.moved === large.byteLength);
    expect(handed, "the 20 MB state was transferred, not cloned").toBeDefined();
    // A slice of 1 MiB per task: the page ran its own tasks between them (engines schedule the
    // two message channels differently, so fewer than one per slice may be counted).
    expect(handed!.ticksBefore - startTicks).toBeGreaterThanOrEqual(5);
    expect(large.byteLength).toBe(20 * 1024 * 1024);
    expect((await store.threads.loadLatest("t")).meta.checkpointId).toBe(second);
    // Loaded twice: a large result is handed back as a buffer of its own, and the worker's cached
    // bytes stay whole for the next load.
    for (let i = 0; i < 2; i++) {
      const loaded = await store.threads.load("t", first);
      expect(loaded.state.length).toBe(large.length);
      expect(loaded.state.every((b, j) => b === large[j])).toBe(true);
    }
    // A save made before close() is stored, even while close() waits for its hand-over.
    const last = store.threads.save("u", {}, large);
    const closed = store.close();
    await Promise.all([last, closed]);
    const again = await openStore({ name: store.name });
    try {
      expect((await again.threads.loadLatest("u")).state.length).toBe(large.length);
      await expect(again.threads.save("v", {}, large).then(() => again.threads.count("v"))).resolves.toBe(1);
    } finally {
      await again.close();
    }
    await expect(store.threads.save("w", {}, large)).rejects.toMatchObject({ code: "DATABASE_CLOSED" });
  });

  it("rejects with INVALID_ARGUMENT for a missing or empty store name", async () => {
    await expect(openStore({ name: "" })).rejects.toMatchObject({ name: "StoreError", code: "INVALID_ARGUMENT" });
    await expect(openStore(undefined as never)).rejects.toMatchObject({ name: "StoreError", code: "INVALID_ARGUMENT" });
  });

  it("sees data saved before close after opening again in a new worker", async () => {
    const name = uniqueName("client");
    const first = await openStore({ name });
    const id = await first.threads.save("t", { step: 1 }, new Uint8Array([1, 2, 3]));
    await first.close();
    const second = await openStore({ name });
    try {
      const loaded = await second.threads.load("t", id);
      expect(Array.from(loaded.state)).toEqual([1, 2, 3]);
      expect(loaded.meta.metadata).toEqual({ step: 1 });
    } finally {
      await second.close();
    }
  });
});

describe("openStore: event appends made together", () => {
  /** The store's worker, with a count of the messages the page posts to it. */
  function countedWorker(): { worker: Worker; posted: () => number } {
    const worker = new Worker(new URL("../../worker/main.ts", import.meta.url), { type: "module" });
    let posted = 0;
    const post = worker.postMessage.bind(worker) as (message: unknown, transfer?: Transferable[]) => void;
    worker.postMessage = ((message: unknown, transfer?: Transferable[]) => {
      posted++;
      post(message, transfer ?? []);
    }) as Worker["postMessage"];
    return { worker, posted: () => posted };
  }

  it("sends the appends of one task as one message and stores them in the order they were made", async () => {
    const { worker, posted } = countedWorker();
    const store = await openStore({ name: uniqueName("client"), worker });
    try {
      const before = posted();
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.events.append("t", 0, { type: "token", i })));
      expect(posted() - before).toBe(1);
      await store.events.finishTurn("t", 0);
      expect((await store.events.getEvents("t")).map((e) => e.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    } finally {
      await store.close();
    }
  });

  it("rejects only the bad appends of a batch, each with its own typed error, and keeps the others", async () => {
    const store = await openStore({ name: uniqueName("client") });
    try {
      const outcomes = await Promise.all([
        store.events.append("t", 0, { type: "token", i: 0 }),
        store.events.append("t", -1, { type: "token", i: 1 }),
        store.events.append("", 0, { type: "token", i: 2 }),
        store.events.append("t", 0, { type: "token", i: 3 }),
      ].map((p) => p.then(() => "ok", (e: unknown) => e)));
      expect(outcomes[0]).toBe("ok");
      expect(isStoreError(outcomes[1], "INVALID_ARGUMENT")).toBe(true);
      expect(isStoreError(outcomes[2], "INVALID_ARGUMENT")).toBe(true);
      expect(outcomes[3]).toBe("ok");
      await store.events.finishTurn("t", 0);
      expect((await store.events.getEvents("t")).map((e) => e.i)).toEqual([0, 3]);
    } finally {
      await store.close();
    }
  });

  it("rejects an append that cannot be cloned with INVALID_ARGUMENT, keeps the rest of its batch, and finishes after them", async () => {
    const store = await openStore({ name: uniqueName("client") });
    try {
      const appended = [0, 1, 2].map((i) =>
        store.events.append("t", 0, i === 1 ? { type: "token", fn: () => i } : { type: "token", i }).then(() => "ok", (e: unknown) => e),
      );
      // Made in the same task, after the appends: it must reach the worker after them.
      const finished = store.events.finishTurn("t", 0);
      const outcomes = await Promise.all(appended);
      await finished;
      expect(outcomes[0]).toBe("ok");
      expect(isStoreError(outcomes[1], "INVALID_ARGUMENT")).toBe(true);
      expect(outcomes[2]).toBe("ok");
      const turn = (await store.events.getTurn("t", 0))!;
      expect(turn.finished).toBe(true);
      expect(turn.events.map((e) => e.i)).toEqual([0, 2]);
    } finally {
      await store.close();
    }
  });

  it("lets a read made in the same task as appends see them, and a finish made after them include them", async () => {
    const store = await openStore({ name: uniqueName("client") });
    try {
      for (let i = 0; i < 5; i++) void store.events.append("t", 0, { type: "token", i });
      const read = store.events.getEvents("t");
      void store.events.append("t", 0, { type: "token", i: 5 });
      const finished = store.events.finishTurn("t", 0);
      expect((await read).map((e) => e.i)).toEqual([0, 1, 2, 3, 4]);
      await finished;
      expect((await store.events.getTurn("t", 0))!.events.map((e) => e.i)).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await store.close();
    }
  });
});
