import { openStore } from "../../src/index";
import { countRowsWith, uniqueName, type Backend } from "../conformance/backend";
import { storeBackendsSpec } from "../memory/store-backends.spec";

// Through the worker: the index and ttl checks on the page, $exists and updatedAt in the engine.
storeBackendsSpec({
  name: "openStore (worker) in the browser",
  open: (dbName) => openStore({ name: dbName }),
  freshName: uniqueName,
  countRows: (dbName) => countRowsWith(indexedDB, dbName),
} satisfies Backend);
