import { openStore } from "../../src/index";
import { countRowsWith, uniqueName, type Backend } from "../conformance/backend";
import { memoryDifferentialSpec } from "../memory/differential.spec";

// Through the worker: every batch is one message to the engine over Chromium's IndexedDB.
memoryDifferentialSpec(
  {
    name: "openStore (worker) in the browser",
    open: (dbName) => openStore({ name: dbName }),
    freshName: uniqueName,
    countRows: (dbName) => countRowsWith(indexedDB, dbName),
  } satisfies Backend,
  Number(import.meta.env.VITE_MEMORY_DIFF_RUNS ?? 40),
);
