/**
 * idb-checkpoint/testing: a kit for Playwright tests of apps that store with idb-checkpoint.
 * Runs in the test (Node), drives the page; never part of an app's page bundle.
 */
export { exportStore, importStore, readExport, checkExport, EXPORT_FORMAT, EXPORT_FORMAT_VERSION, type StoreExport, type ExportedObjectStore, type ExportOptions, type ImportOptions } from "./snapshot.js";
export { listStored, clearStore, flushEvents, type StoredSummary } from "./inspect.js";
export { exhaustQuota, crashWorker, upgradeSchemaElsewhere } from "./failures.js";
export type { KitPage, KitWorker, KitCDPSession } from "./page.js";
