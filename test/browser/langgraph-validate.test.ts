import { deltaChannelHistoryTests, validate, type CheckpointSaverTestInitializer } from "@langchain/langgraph-checkpoint-validation";
import { openStore, type Store } from "../../src/index";
import { IndexedDBSaver } from "../../src/langgraph/index";
import { uniqueName } from "../conformance/backend";

// LangGraph's own conformance suite in each browser engine: every call crosses Comlink to the engine in a
// real module worker over the browser's IndexedDB, as in an app. The name is ours, so nothing is
// skipped; each instance gets a database of its own, deleted afterwards.
const stores = new WeakMap<IndexedDBSaver, { store: Store; name: string }>();
const initializer: CheckpointSaverTestInitializer<IndexedDBSaver> = {
  checkpointerName: "idb-checkpoint (openStore, browser)",
  async createCheckpointer() {
    const name = uniqueName("lg-validate");
    const store = await openStore({ name });
    const saver = new IndexedDBSaver(store);
    stores.set(saver, { store, name });
    return saver;
  },
  async destroyCheckpointer(saver) {
    const opened = stores.get(saver);
    if (!opened) return;
    await opened.store.close();
    await new Promise((resolve) => {
      const req = indexedDB.deleteDatabase(opened.name);
      req.onsuccess = req.onerror = req.onblocked = resolve;
    });
  },
};

validate(initializer);
deltaChannelHistoryTests(initializer);
