import { afterAll, expect, it } from "vitest";
import { openStore, type Store } from "../../src/index";
import { Chat, runChat } from "./chat-workload";
import { storedBytes, type StoredBytes } from "./stored-bytes";
import { MiB, printTable, ratio, round, summarize, uniqueDb, workerHeaps, writeResults } from "./stats";

/**
 * The 200-turn chat through IndexedDBSaver over the real worker: bytes stored (every object store)
 * against full checkpoints and per-version blobs of the same run; and the time to save a turn of
 * that chat against a turn of a new one. The two chats then take turns, one each, so that a
 * busy machine slows both alike: timing turns 5 - 15 first and turns 200 - 210 a minute later
 * measured the machine's drift as much as the store.
 */
const TURNS = 200;
/** Turns of the young and the old chat that are timed against each other (after warm-up). */
const TIMED = { from: 5, to: 25 };
const stores: Store[] = [];

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

it("stores a 200-turn chat in about what is new, at a flat time per turn", async () => {
  const rows = [];
  const data: Record<string, unknown> = {};
  for (const mode of ["plain", "delta"] as const) {
    const name = uniqueDb(`chat-${mode}`);
    const store = await openStore({ name });
    stores.push(store);
    const { chat: old, figures: chat } = await runChat(store, mode, TURNS);
    expect(chat.messages).toBe(2 * TURNS);
    const stored = await storedBytes(name);
    const young = new Chat(store, mode, `young-${mode}`);
    for (let i = 0; i < TIMED.to; i++) {
      await young.turn();
      await old.turn();
    }
    // The store's worker after the workload (its caches are bounded by cacheBytes, 32 MiB).
    const heap = await workerHeaps(name);
    const early = summarize(young.saveMsPerTurn.slice(TIMED.from, TIMED.to)).median;
    const late = summarize(old.saveMsPerTurn.slice(TURNS + TIMED.from, TURNS + TIMED.to)).median;
    const serializeEarly = summarize(young.serializeMsPerTurn.slice(TIMED.from, TIMED.to)).median;
    const serializeLate = summarize(old.serializeMsPerTurn.slice(TURNS + TIMED.from, TURNS + TIMED.to)).median;
    data[mode] = { ...chat, stored, youngSaveMsPerTurn: young.saveMsPerTurn, oldSaveMsPerTurn: old.saveMsPerTurn.slice(TURNS), turn10SaveMs: early, turn200SaveMs: late, turn10SerializeMs: serializeEarly, turn200SerializeMs: serializeLate, workerHeap: heap };
    const mib = (n: number) => round(n / MiB, 3);
    rows.push({
      mode,
      "stored MiB": mib(stored.total),
      "blobs MiB": mib(stored.stores.blobs?.bytes ?? 0),
      "meta MiB": mib(stored.stores.meta?.bytes ?? 0),
      "full MiB": mib(chat.fullCheckpointBytes),
      "full/stored": ratio(chat.fullCheckpointBytes, stored.total),
      "full deflated MiB": mib(chat.fullCheckpointDeflatedBytes),
      "per-version MiB": mib(chat.perVersionBlobBytes),
      "new (writes) MiB": mib(chat.writeBytes),
      "save ms t10": round(early),
      "save ms t200": round(late),
      "t200/t10": ratio(late, early),
      // What LangGraph's serializer adds per turn as the message list grows, which any saver pays.
      "serialize ms t10 · t200": `${round(serializeEarly)} · ${round(serializeLate)}`,
      "t200/t10 without it": ratio(late - serializeLate, early - serializeEarly),
      "invoke ms t200": round(summarize(old.invokeMsPerTurn.slice(TURNS + TIMED.from, TURNS + TIMED.to)).median),
      "worker heap MiB": heap.map((h) => h.usedMiB).join(" ") || "n/a",
    });
  }
  printTable("200-turn chat (targets: plain stored <= 0.5 MiB, t200/t10 <= 1.2)", rows);
  for (const mode of ["plain", "delta"] as const) {
    const { stored } = data[mode] as { stored: StoredBytes };
    printTable(
      `where the ${mode} chat's bytes go`,
      Object.entries(stored.kinds).map(([kind, k]) => ({ kind, rows: k.rows, "key KiB": round(k.keyBytes / 1024, 1), "value KiB": round(k.valueBytes / 1024, 1) })),
    );
  }
  await writeResults("chat", data);
});
