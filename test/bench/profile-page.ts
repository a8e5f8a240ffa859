import * as lg from "@langchain/langgraph/web";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { openStore, type Store } from "../../src/index";
import { IndexedDBSaver } from "../../src/langgraph/index";
import { RawIdb } from "./baselines";
import { buildBenchGraph, playGraph } from "./graph-workload";
import { Chat } from "./chat-workload";
import { makeText } from "./stats";

/**
 * The page profile.mjs drives: one store (relaxed, as the raw calls it is compared with), one raw
 * database, and per workload a `prepare` (untimed: inputs, and for loads the saves they read)
 * and a `run` (timed, profiled) for the store and for its raw baseline. The graph workload's
 * baseline is the same plays on MemorySaver (the graph bench's), not raw IndexedDB.
 */
const text = makeText(7);
const sizes: Record<string, number> = { "1k": 1024, "64k": 64 * 1024, "1m": 1024 * 1024 };
const counts: Record<string, number> = { "1k": 200, "64k": 60, "1m": 20 };
let store: Store;
let raw: RawIdb;
let inputs: Uint8Array[] = [];
let ids: string[] = [];
let round = 0;
let oldChat: Chat | undefined;
const value = { text: "x".repeat(900), tags: ["a", "b"], n: 1 };

const sizeOf = (name: string) => name.split("-")[1];

async function idle(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
}

declare global {
  interface Window {
    bench: {
      open(): Promise<void>;
      prepare(name: string, side: "store" | "raw"): Promise<void>;
      run(name: string, side: "store" | "raw"): Promise<{ calls: number; ms: number }>;
    };
  }
}

window.bench = {
  async open() {
    store = await openStore({ name: "profile", durability: "relaxed", worker: new Worker("/worker.js", { type: "module", name: "idb-checkpoint:profile" }) });
    raw = await RawIdb.open("profile-raw");
  },

  async prepare(name, side) {
    round++;
    const kind = name.split("-")[0];
    if (kind === "save" || kind === "load") {
      const n = counts[sizeOf(name)];
      inputs = Array.from({ length: n }, () => text.bytes(sizes[sizeOf(name)]));
      if (kind === "load") {
        ids = [];
        for (let i = 0; i < n; i++) {
          if (side === "store") ids.push(await store.threads.save(`load-${name}-${round}`, {}, inputs[i]));
          else await raw.put(`load-${round}-${i}`, inputs[i]);
        }
        // Let idle-time compression finish, as the latency bench does before its loads.
        await idle(sizes[sizeOf(name)] > 65536 ? 12000 : 3000);
      }
    }
    // The latency bench's edit: a 1 MiB state whose last 10% changes at every save.
    if (kind === "edit") {
      const base = text.bytes(sizes[sizeOf(name)]);
      const tenth = base.length / 10;
      inputs = Array.from({ length: counts[sizeOf(name)] }, () => {
        const v = base.slice();
        v.set(text.bytes(tenth), base.length - tenth);
        return v;
      });
      if (side === "store") await store.threads.save(`edit-${round}`, {}, base);
    }
    // The chat bench's plain chat: 200 turns first (untimed), then its turns are timed against
    // those of a new chat on the same store.
    if (name === "chat" && side === "store") {
      oldChat = new Chat(store, "plain", `chat-old-${round}`);
      for (let i = 0; i < 200; i++) await oldChat.turn();
    }
    if (name === "memory-get") for (let i = 0; i < 200; i++) side === "store" ? await store.memory.put(["p"], `g${i}`, value) : await raw.put(`g${i}`, value);
    await idle(500);
  },

  async run(name, side) {
    const t = performance.now();
    let calls = 0;
    const kind = name.split("-")[0];
    if (kind === "save") {
      for (let i = 0; i < inputs.length; i++, calls++) {
        if (side === "store") await store.threads.save(`save-${name}-${round}`, {}, inputs[i]);
        else await raw.put(`save-${round}-${i}`, inputs[i].slice());
      }
    } else if (kind === "edit") {
      for (let i = 0; i < inputs.length; i++, calls++) {
        if (side === "store") await store.threads.save(`edit-${round}`, {}, inputs[i]);
        else await raw.put(`edit-${round}-${i}`, inputs[i].slice());
      }
    } else if (kind === "load") {
      for (let i = 0; i < inputs.length; i++, calls++) {
        if (side === "store") await store.threads.load(`load-${name}-${round}`, ids[i]);
        else await raw.get(`load-${round}-${i}`);
      }
    } else if (name === "memory-put") {
      for (let i = 0; i < 200; i++, calls++) side === "store" ? await store.memory.put(["p"], `k${i}`, value) : await raw.put(`k${i}`, value);
    } else if (name === "memory-get") {
      for (let i = 0; i < 200; i++, calls++) side === "store" ? await store.memory.get(["p"], `g${i}`) : await raw.get(`g${i}`);
    } else if (name === "graph") {
      // Calls are plays of the graph bench's graph: pipelined, each ending with flush().
      const saver = side === "store" ? new IndexedDBSaver(store, { pipeline: true }) : new MemorySaver();
      const graph = buildBenchGraph(lg, saver);
      for (let i = 0; i < 10; i++, calls++) {
        await playGraph(lg, graph, `graph-${side}-${round}-${i}`);
        if (saver instanceof IndexedDBSaver) await saver.flush();
      }
    } else if (name === "chat") {
      // Calls are turns: of the 200-turn chat (store), of a new chat (raw).
      const chat = side === "store" ? oldChat! : new Chat(store, "plain", `chat-young-${round}`);
      for (let i = 0; i < 20; i++, calls++) await chat.turn();
    } else if (name === "events") {
      // Calls are turns: 50 appends and a finishTurn; raw: 50 puts in one strict transaction.
      for (let turn = 0; turn < 40; turn++, calls++) {
        const events = Array.from({ length: 50 }, (_, i) => ({ type: "token", i, text: `token ${i} of turn ${turn}` }));
        if (side === "store") {
          await Promise.all(events.map((e) => store.events.append(`ev-${round}`, turn, e)));
          await store.events.finishTurn(`ev-${round}`, turn);
        } else {
          await raw.putMany(events.map((e, i) => [`ev-${round}-${turn}-${i}`, e]), "strict");
        }
      }
    }
    return { calls, ms: performance.now() - t };
  },
};
