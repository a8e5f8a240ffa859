import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import { IDBFactory } from "fake-indexeddb";
import { IndexedDBStore } from "../../src/langgraph/index";
import { openEngine } from "../../worker/index";
import { Database } from "../../worker/db";
import { Payloads } from "../../worker/payload/index";
import { DEFAULT_LIMITS } from "../../worker/limits";
import { createMemoryStore, type EngineMemoryStore } from "../../worker/memory/index";
import { countRowsWith, uniqueName, type Backend } from "../conformance/backend";
import { storeBackendsSpec } from "../memory/store-backends.spec";

const factory = new IDBFactory();

storeBackendsSpec({
  name: "engine on fake-indexeddb",
  open: (dbName) => openEngine({ name: dbName, indexedDB: factory }),
  freshName: uniqueName,
  countRows: (dbName) => countRowsWith(factory, dbName),
} satisfies Backend);

/** What needs a clock the test moves: the memory store under IndexedDBStore, in Node. */
describe("IndexedDBStore answers as LangGraph's store backends expect (memory store with a clock the test controls)", () => {
  const open: Array<{ db: Database; memory: EngineMemoryStore }> = [];
  afterEach(async () => {
    for (const { db, memory } of open.splice(0)) {
      await memory.dispose();
      db.close();
    }
  });
  /** A memory store whose clock stands still unless the test moves it. */
  function frozen() {
    const clock = { now: 1_700_000_000_000 };
    const db = new Database({ name: uniqueName("store-backends-clock"), indexedDB: factory });
    const memory = createMemoryStore({ db, payloads: new Payloads(), now: () => clock.now, limits: DEFAULT_LIMITS }, { sweepMs: 600_000 });
    open.push({ db, memory });
    return { clock, memory };
  }

  it("moves updatedAt forward on every update of an item, also when the clock has not moved since the last one or stepped back", async () => {
    const { clock, memory } = frozen();
    const store = new IndexedDBStore({ memory });
    await store.put(["u"], "k", { v: 1 });
    const first = (await store.get(["u"], "k"))!;
    await store.put(["u"], "k", { v: 2 });
    const second = (await store.get(["u"], "k"))!;
    await store.batch([{ namespace: ["u"], key: "k", value: { v: 3 } }]);
    const third = (await store.search(["u"]))[0];
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    expect(third.updatedAt.getTime()).toBeGreaterThan(second.updatedAt.getTime());
    expect(third.createdAt.getTime()).toBe(clock.now);
    clock.now -= 60_000;
    await store.put(["u"], "k", { v: 4 });
    expect((await store.get(["u"], "k"))!.updatedAt.getTime()).toBeGreaterThan(third.updatedAt.getTime());
    // A new item is stamped with the clock as it is.
    await store.put(["u"], "new", { v: 1 });
    expect((await store.get(["u"], "new"))!.updatedAt.getTime()).toBe(clock.now);
  });

  it("takes PostgresStore's ttl config (defaultTtl, refreshOnRead, sweepIntervalMinutes) and its sweepExpiredItems()", async () => {
    const { clock, memory } = frozen();
    const store = new IndexedDBStore({ memory }, { ttl: { defaultTtl: 1, refreshOnRead: true, sweepIntervalMinutes: 1 } });
    await store.start();
    await store.put(["t"], "k", { v: 1 });
    clock.now += 61_000;
    expect(await store.sweepExpiredItems()).toBe(1);
    expect(await store.sweepExpiredItems()).toBe(0);
    await store.stop();
  });
});
