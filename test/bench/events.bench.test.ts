import { afterAll, expect, it } from "vitest";
import { openStore, type Store } from "../../src/index";
import { printTable, round, uniqueDb, writeResults } from "./stats";

/** Event append throughput with finishTurn (the durability barrier) every 50 events. */
const EVENTS = 5000;
const PER_TURN = 50;
let store: Store;

afterAll(async () => {
  await store?.close();
});

it("appends events at a steady rate with a finishTurn every 50", async () => {
  store = await openStore({ name: uniqueDb("events") });
  const t = performance.now();
  for (let turn = 0; turn < EVENTS / PER_TURN; turn++) {
    const appends: Promise<void>[] = [];
    for (let i = 0; i < PER_TURN; i++) appends.push(store.events.append("thread", turn, { type: "token", i, text: `token ${i} of turn ${turn}` }));
    await Promise.all(appends);
    await store.events.finishTurn("thread", turn);
  }
  const ms = performance.now() - t;
  expect((await store.events.getEvents("thread")).length).toBe(EVENTS);
  const data = { events: EVENTS, perTurn: PER_TURN, totalMs: round(ms), eventsPerSecond: round(EVENTS / (ms / 1000), 0), msPerTurn: round(ms / (EVENTS / PER_TURN)) };
  printTable("event append throughput (finishTurn every 50)", [data]);
  await writeResults("events", data);
});
