import { openStore } from "../../src/index";
import { countRowsWith, uniqueName, type Backend } from "../conformance/backend";
import { memoryDifferentialSpec } from "../memory/differential.spec";

// Through the worker: every batch is one message to the engine over each engine's IndexedDB.
// 20 sequences per test in npm test (each opens a store and its worker, which costs most in
// Firefox); the Node run (test/unit) plays 150, and VITE_MEMORY_DIFF_RUNS asks for more here.
memoryDifferentialSpec(
  {
    name: "openStore (worker) in the browser",
    open: (dbName) => openStore({ name: dbName }),
    freshName: uniqueName,
    countRows: (dbName) => countRowsWith(indexedDB, dbName),
  } satisfies Backend,
  Number(import.meta.env.VITE_MEMORY_DIFF_RUNS ?? 20),
);
