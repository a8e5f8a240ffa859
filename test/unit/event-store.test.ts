// fake-indexeddb's globals (IDBRequest, IDBKeyRange) for idb and the engine's key ranges.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { Database, type StoreName, type WriteTx } from "../../worker/db";
import { Payloads } from "../../worker/payload";
import { DEFAULT_LIMITS } from "../../worker/limits";
import { createEventStore } from "../../worker/event-store";
import { StoreError } from "../../src/errors";
import { uniqueName } from "../conformance/backend";
import { expectCode } from "../conformance/expect-code";

/** A database whose next `failWrites` write transactions fail as a full disk would. */
class FlakyDatabase extends Database {
  failWrites = 0;
  override write<T>(stores: StoreName[], fn: (tx: WriteTx) => Promise<T> | T, context?: string): Promise<T> {
    if (this.failWrites > 0) {
      this.failWrites--;
      return Promise.reject(new StoreError("QUOTA_EXCEEDED", `${context}: storage quota exceeded`));
    }
    return super.write(stores, fn, context);
  }
}

// A flush delay far beyond the test's length, so only finishTurn and flushAll write.
const NEVER_MS = 600_000;

describe("event store write failures", () => {
  const factory = new IDBFactory();
  const dbs: Database[] = [];
  afterEach(() => dbs.splice(0).forEach((db) => db.close()));

  function open(name = uniqueName("events-unit")) {
    const db = new FlakyDatabase({ name, indexedDB: factory });
    dbs.push(db);
    const events = createEventStore({ db, payloads: new Payloads(), now: () => Date.now(), limits: DEFAULT_LIMITS }, { flushMs: NEVER_MS });
    return { db, events, name };
  }

  it("finishTurn rejects when its write fails, keeps the events buffered, and a retry writes them all", async () => {
    const { db, events, name } = open();
    await events.append("t", 0, { n: 1 });
    await events.append("t", 0, { n: 2 });
    db.failWrites = 1;
    await expectCode(events.finishTurn("t", 0), "QUOTA_EXCEEDED");
    // Still visible here, still open for appends, and not yet on disk.
    expect(await events.getTurn("t", 0)).toEqual({ threadId: "t", turn: 0, events: [{ n: 1 }, { n: 2 }], finished: false });
    expect(await open(name).events.getTurn("t", 0)).toBeUndefined();
    await events.append("t", 0, { n: 3 });

    await events.finishTurn("t", 0);
    const other = open(name).events;
    expect(await other.getTurn("t", 0)).toEqual({ threadId: "t", turn: 0, events: [{ n: 1 }, { n: 2 }, { n: 3 }], finished: true });
    await expectCode(events.append("t", 0, { n: 4 }), "TURN_FINISHED");
  });

  it("a failed flush keeps the events, and the next flush writes each exactly once", async () => {
    const { db, events, name } = open();
    await events.append("t", 1, { a: 1 });
    await events.append("u", 0, { b: 1 });
    db.failWrites = 1;
    await expectCode(events.flushAll(), "QUOTA_EXCEEDED");
    await events.append("t", 1, { a: 2 });
    await events.flushAll();
    await events.flushAll();
    const other = open(name).events;
    expect(await other.getEvents("t")).toEqual([{ a: 1 }, { a: 2 }]);
    expect(await other.getEvents("u")).toEqual([{ b: 1 }]);
    // What this store reads merges its (now empty) buffer with the rows: no event twice.
    expect(await events.getEvents("t")).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("a turn another store finishes keeps the resolved appends of both", async () => {
    // A's event sits in A's buffer (its flush timer never fires here) when B finishes the turn:
    // B waits for A to write it, so nothing that resolved is dropped.
    const a = open();
    const b = open(a.name);
    await a.events.append("t", 0, { from: "a" });
    await b.events.append("t", 0, { from: "b" });
    await b.events.finishTurn("t", 0);
    // Each handle's events stay in their order; between handles, the order is the order of writing.
    const expected = { threadId: "t", turn: 0, events: [{ from: "b" }, { from: "a" }], finished: true };
    expect(await a.events.getTurn("t", 0)).toEqual(expected);
    expect(await open(a.name).events.getTurn("t", 0)).toEqual(expected);
    await expectCode(a.events.append("t", 0, { from: "a", late: true }), "TURN_FINISHED");
  });
});
