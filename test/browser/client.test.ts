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
