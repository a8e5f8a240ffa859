import { afterAll, expect, it } from "vitest";
import { openStore, type Store } from "../../src/index";
import { printTable, ratio, round, uniqueDb, writeResults } from "./stats";

/**
 * Event append throughput with finishTurn (the durability barrier, always strict) every 50
 * events, against its physical floor measured in the same run: the page writing each turn's 50
 * events in one raw IndexedDB transaction with strict durability. Store turns and raw turns
 * alternate, so a busy machine slows both alike.
 */
const EVENTS = 5000;
const PER_TURN = 50;
let store: Store;

afterAll(async () => {
  await store?.close();
});

function rawDb(name: string): Promise<IDBDatabase> {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore("kv");
  return new Promise((resolve, reject) => {
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

it("appends events at a steady rate with a finishTurn every 50", async () => {
  store = await openStore({ name: uniqueDb("events") });
  const raw = await rawDb(uniqueDb("events-raw"));
  const event = (turn: number, i: number) => ({ type: "token", i, text: `token ${i} of turn ${turn}` });
  let storeMs = 0;
  let rawMs = 0;
  const storeTurn = async (turn: number) => {
    const t = performance.now();
    const appends: Promise<void>[] = [];
    for (let i = 0; i < PER_TURN; i++) appends.push(store.events.append("thread", turn, event(turn, i)));
    await Promise.all(appends);
    await store.events.finishTurn("thread", turn);
    storeMs += performance.now() - t;
  };
  const rawTurn = async (turn: number) => {
    const t = performance.now();
    const tx = raw.transaction("kv", "readwrite", { durability: "strict" });
    for (let i = 0; i < PER_TURN; i++) tx.objectStore("kv").put(event(turn, i), [turn, i]);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
    rawMs += performance.now() - t;
  };
  for (let turn = 0; turn < EVENTS / PER_TURN; turn++) {
    if (turn % 2 === 0) {
      await storeTurn(turn);
      await rawTurn(turn);
    } else {
      await rawTurn(turn);
      await storeTurn(turn);
    }
  }
  raw.close();
  expect((await store.events.getEvents("thread")).length).toBe(EVENTS);
  const perSecond = (ms: number) => round(EVENTS / (ms / 1000), 0);
  const data = {
    events: EVENTS,
    perTurn: PER_TURN,
    totalMs: round(storeMs),
    eventsPerSecond: perSecond(storeMs),
    msPerTurn: round(storeMs / (EVENTS / PER_TURN)),
    rawStrictEventsPerSecond: perSecond(rawMs),
    rawMsPerTurn: round(rawMs / (EVENTS / PER_TURN)),
    storeOverRaw: ratio(storeMs, rawMs),
  };
  printTable("event append throughput (finishTurn every 50; raw: one strict transaction of 50 puts per turn)", [data]);
  await writeResults("events", data);
});
