import { openStore } from "../../src/index";
import { countRowsWith, uniqueName, type Backend } from "../conformance/backend";
import { threadsSpec } from "../conformance/threads.spec";
import { saverSpec } from "../conformance/saver.spec";
import { saverThreadsSpec } from "../conformance/saver-threads.spec";
import { runsSpec } from "../conformance/runs.spec";
import { blobsSpec } from "../conformance/blobs.spec";
import { eventsSpec } from "../conformance/events.spec";

// The page side of the library: every call goes through Comlink to the engine in a real module
// worker, over Chromium's IndexedDB.
const workerBackend: Backend = {
  name: "openStore (worker) in the browser",
  open: (dbName) => openStore({ name: dbName }),
  freshName: uniqueName,
  countRows: (dbName) => countRowsWith(indexedDB, dbName),
};

threadsSpec(workerBackend);
saverSpec(workerBackend);
saverThreadsSpec(workerBackend);
runsSpec(workerBackend);
blobsSpec(workerBackend);
eventsSpec(workerBackend);
