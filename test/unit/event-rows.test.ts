// fake-indexeddb's globals (IDBRequest, IDBKeyRange) for idb and the engine's key ranges.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { Database } from "../../worker/db";
import { Payloads } from "../../worker/payload/index";
import { DEFAULT_LIMITS } from "../../worker/limits";
import { createEventStore } from "../../worker/event-store";
import { uniqueName } from "../conformance/backend";

/** Event rows: one row per flush (an array of envelopes); rows of the first layout still read. */
describe("event rows", () => {
  const factory = new IDBFactory();
  const dbs: Database[] = [];
  afterEach(() => dbs.splice(0).forEach((db) => db.close()));

  async function open(name = uniqueName("event-rows")) {
    const db = new Database({ name, indexedDB: factory });
    await db.ready();
    dbs.push(db);
    const events = createEventStore({ db, payloads: new Payloads(), now: () => Date.now(), limits: DEFAULT_LIMITS }, { flushMs: 600_000 });
    return { db, events, name };
  }

  const rows = (db: Database) =>
    db.read(["events"], async (tx) => {
      const [keys, values] = await Promise.all([tx.objectStore("events").getAllKeys(), tx.objectStore("events").getAll()]);
      return keys.map((k, i) => [k, values[i]]);
    });

  it("writes the events of one flush as one row, and reads them back in order", async () => {
    const { db, events, name } = await open();
    for (let i = 0; i < 50; i++) await events.append("t", 0, { i });
    await events.flushAll();
    for (let i = 50; i < 53; i++) await events.append("t", 0, { i });
    await events.finishTurn("t", 0);
    expect((await rows(db)).map(([k]) => k)).toEqual([
      ["e", "t", 0, 0, 50],
      ["e", "t", 0, 50, 3],
    ]);
    const again = (await open(name)).events;
    expect(await again.getTurn("t", 0)).toEqual({ threadId: "t", turn: 0, events: Array.from({ length: 53 }, (_, i) => ({ i })), finished: true });
  });

  it("reads rows of the first layout (one envelope per row) together with later rows of a turn", async () => {
    const { db, events } = await open();
    // As the first layout left a turn: envelopes 0 and 1, one row each, the turn not finished.
    await db.write(["meta", "events"], async (tx) => {
      await tx.objectStore("events").put({ old: 0 }, ["e", "t", 3, 0]);
      await tx.objectStore("events").put({ old: 1 }, ["e", "t", 3, 1]);
      await tx.objectStore("meta").put({ count: 2, finished: false }, ["e", "turn", "t", 3]);
    });
    await events.append("t", 3, { added: 2 });
    await events.append("t", 3, { added: 3 });
    await events.finishTurn("t", 3);
    expect(await events.getTurn("t", 3)).toEqual({ threadId: "t", turn: 3, events: [{ old: 0 }, { old: 1 }, { added: 2 }, { added: 3 }], finished: true });
    expect(await events.getEvents("t")).toEqual([{ old: 0 }, { old: 1 }, { added: 2 }, { added: 3 }]);
    await events.clear("t");
    expect(await rows(db)).toEqual([]);
  });
});
