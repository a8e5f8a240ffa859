// fake-indexeddb's globals (IDBKeyRange, IDBRequest) for the engine in Node.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { openEngine } from "../../worker/index";
import { countRowsWith, uniqueName, type Backend } from "../conformance/backend";
import { memoryDifferentialSpec } from "../memory/differential.spec";

const factory = new IDBFactory();

memoryDifferentialSpec(
  {
    name: "engine on fake-indexeddb",
    open: (dbName) => openEngine({ name: dbName, indexedDB: factory }),
    freshName: uniqueName,
    countRows: (dbName) => countRowsWith(factory, dbName),
  } satisfies Backend,
  Number(process.env.MEMORY_DIFF_RUNS ?? 150),
);
