import { afterEach, beforeEach, describe, expect, it } from "vitest";
// fake-indexeddb's globals: the database module opens through the global factory and key ranges.
import "fake-indexeddb/auto";
import { Database } from "../../worker/db";
import { Payloads } from "../../worker/payload/index";
import { orderedWindow, type BlobRequests } from "../../worker/payload/request-window";
import { isStoreError } from "../../src/errors";
import { text } from "../payload/text";

/** Rejections nobody handled while a spec ran: a windowed walk must leave none behind. */
let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on("unhandledRejection", onUnhandled);
});
afterEach(() => {
  process.off("unhandledRejection", onUnhandled);
});

/** Lets pending promise callbacks and timers run, so late rejections surface. */
const drain = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * A blobs store that answers each request on a later task, fails the request for `failKey`, and
 * from then on throws when asked, as an IndexedDB store whose transaction has ended does.
 */
function scriptedStore(failKey: string, throwsAtOnce = false) {
  const made: string[] = [];
  let ended = false;
  const answer = (key: string): Promise<unknown> => {
    if (ended) throw new DOMException("The transaction has finished.", "TransactionInactiveError");
    made.push(key);
    if (key === failKey && throwsAtOnce) {
      ended = true;
      throw new DOMException("bad key", "DataError");
    }
    return new Promise((resolve, reject) =>
      setTimeout(() => {
        if (key !== failKey) return resolve(key);
        ended = true;
        reject(new DOMException("aborted", "AbortError"));
      }, 1),
    );
  };
  const store: BlobRequests = { get: (key) => answer(key), put: (_value, key) => answer(key) };
  return { store, made };
}

describe("requests in a window", () => {
  it("makes no request after one fails, and rejects every one still queued with that failure", async () => {
    const { store, made } = scriptedStore("k1");
    const blobs = orderedWindow(store, 2);
    const asked = Array.from({ length: 10 }, (_, i) => (i % 2 ? blobs.put({}, `k${i}`) : blobs.get(`k${i}`)));
    const outcomes = await Promise.allSettled(asked);
    await drain();
    // k0 and k1 at once; k2 as k0 is answered; k1's failure stops the rest.
    expect(made).toEqual(["k0", "k1", "k2"]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", ...Array(7).fill("rejected")]);
    for (const o of outcomes.slice(3)) expect((o as PromiseRejectedResult).reason).toBe((outcomes[1] as PromiseRejectedResult).reason);
    expect(unhandled).toEqual([]);
  });

  it("rejects a request whose making throws, instead of throwing, and makes none after it", async () => {
    const { store, made } = scriptedStore("k0", true);
    const blobs = orderedWindow(store, 3);
    const outcomes = await Promise.allSettled(["k0", "k1", "k2", "k3"].map((k) => blobs.get(k)));
    await drain();
    expect(made).toEqual(["k0"]);
    expect(outcomes.every((o) => o.status === "rejected" && (o.reason as DOMException).name === "DataError")).toBe(true);
    expect(unhandled).toEqual([]);
  });

  it("rejects a windowed save whose transaction aborts midway with a StoreError, leaving no rejection unhandled and no row", async () => {
    const db = new Database({ name: "request-window-abort" });
    await db.ready();
    const payloads = new Payloads({ requestWindow: 3 });
    const encoded = await payloads.encode(text(2 * 1024 * 1024, 11));
    // The 20th blobs request aborts its transaction, as a failed write or a closing tab would;
    // the requests made after it are counted.
    const real = IDBObjectStore.prototype.put;
    let puts = 0;
    let afterAbort = 0;
    let aborted = false;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof real>) {
      if (aborted) afterAbort++;
      const request = real.apply(this, args);
      if (this.name === "blobs" && ++puts === 20) {
        aborted = true;
        this.transaction.abort();
      }
      return request;
    } as typeof real;
    let error: unknown;
    try {
      await db.write(["blobs"], (tx) => payloads.put(tx, encoded));
    } catch (e) {
      error = e;
    } finally {
      IDBObjectStore.prototype.put = real;
    }
    await drain();
    expect(aborted).toBe(true);
    expect(isStoreError(error)).toBe(true);
    expect(afterAbort).toBe(0);
    expect(unhandled).toEqual([]);
    const left = await db.read(["blobs"], (tx) => tx.objectStore("blobs").count());
    expect(left).toBe(0);
  });
});
