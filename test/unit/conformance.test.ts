// fake-indexeddb's globals (IDBRequest, IDBKeyRange): idb and the engine's key ranges use them. Each
// engine still opens through the factory it is given.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { openEngine } from "../../worker/index";
import { countRowsWith, uniqueName, type Backend } from "../conformance/backend";
import { threadsSpec } from "../conformance/threads.spec";
import { saverSpec } from "../conformance/saver.spec";
import { saverThreadsSpec } from "../conformance/saver-threads.spec";
import { runsSpec } from "../conformance/runs.spec";
import { blobsSpec } from "../conformance/blobs.spec";
import { eventsSpec } from "../conformance/events.spec";

// One fake IndexedDB for the file: distinct database names keep tests apart, and the same name
// reopens the same data, as in a browser.
const factory = new IDBFactory();

const engineBackend: Backend = {
  name: "engine on fake-indexeddb",
  open: (dbName) => openEngine({ name: dbName, indexedDB: factory, eventFlushMs: 20 }),
  freshName: uniqueName,
  countRows: (dbName) => countRowsWith(factory, dbName),
};

threadsSpec(engineBackend);
saverSpec(engineBackend);
saverThreadsSpec(engineBackend);
runsSpec(engineBackend);
blobsSpec(engineBackend);
eventsSpec(engineBackend);
