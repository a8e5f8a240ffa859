import { afterAll, expect, it } from "vitest";
import { openStore, type Store } from "../../src/index";
import { runChat } from "./chat-workload";
import { storedBytes, type StoredBytes } from "./stored-bytes";
import { MiB, printTable, ratio, round, summarize, uniqueDb, writeResults } from "./stats";

/**
 * The 200-turn chat through IndexedDBSaver over the real worker: bytes stored (every object store)
 * and save time per turn, against full checkpoints and per-version blobs of the same run.
 */
const TURNS = 200;
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
    const chat = await runChat(store, mode, TURNS);
    expect(chat.messages).toBe(2 * TURNS);
    const stored = await storedBytes(name);
    const early = summarize(chat.saveMsPerTurn.slice(5, 15)).median;
    const late = summarize(chat.saveMsPerTurn.slice(TURNS - 10)).median;
    data[mode] = { ...chat, stored, turn10SaveMs: early, turn200SaveMs: late };
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
      "invoke ms t200": round(summarize(chat.invokeMsPerTurn.slice(TURNS - 10)).median),
    });
  }
  printTable("200-turn chat (targets: plain stored <= 1 MiB, t200/t10 <= 1.5)", rows);
  for (const mode of ["plain", "delta"] as const) {
    const { stored } = data[mode] as { stored: StoredBytes };
    printTable(
      `where the ${mode} chat's bytes go`,
      Object.entries(stored.kinds).map(([kind, k]) => ({ kind, rows: k.rows, "key KiB": round(k.keyBytes / 1024, 1), "value KiB": round(k.valueBytes / 1024, 1) })),
    );
  }
  await writeResults("chat", data);
});
