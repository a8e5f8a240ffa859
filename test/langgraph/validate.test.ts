import { deltaChannelHistoryTests, validate, type CheckpointSaverTestInitializer } from "@langchain/langgraph-checkpoint-validation";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { openTestEngine } from "./engine";

// LangGraph's own conformance suite. The checkpointer name is ours, so the suite skips nothing
// (it skips one test by name for MemorySaver, SQLite and MongoDB). Each instance gets a fresh
// database: the list tests count every checkpoint the instance can see.
const engines = new WeakMap<IndexedDBSaver, Engine>();
const initializer: CheckpointSaverTestInitializer<IndexedDBSaver> = {
  checkpointerName: "idb-checkpoint (engine, fake-indexeddb)",
  async createCheckpointer() {
    const engine = await openTestEngine();
    const saver = new IndexedDBSaver(engine);
    engines.set(saver, engine);
    return saver;
  },
  async destroyCheckpointer(saver) {
    await engines.get(saver)?.close();
  },
};

validate(initializer);
deltaChannelHistoryTests(initializer);
