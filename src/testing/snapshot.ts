import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { StoreError } from "../errors.js";
import { readDatabaseInPage, writeDatabaseInPage } from "./in-page.js";
import { storeName, type KitPage } from "./page.js";

/**
 * Export and import of a page's store as one JSON document: for test fixtures, backups and bug
 * reports. The format (version 1):
 *
 *   {
 *     "format": "idb-checkpoint-export",
 *     "formatVersion": 1,
 *     "database": "<store name>",
 *     "schemaVersion": <IndexedDB version of the database>,
 *     "exportedAt": "<ISO time>",
 *     "objectStores": [{ "name": "meta", "count": <records>, "sha256": "<hex>", "records": [[key, value], …] }, …],
 *     "sha256": "<hex>"
 *   }
 *
 * Keys and values are IndexedDB's, as stored, in JSON with type tags for what JSON lacks (bytes,
 * bigint, undefined, …; see in-page.ts). Each store's sha256 is taken over the JSON text of its
 * `records`; the document's over the JSON text of the list of [name, count, sha256] of its
 * stores. Import checks every one before it writes anything.
 */
export const EXPORT_FORMAT = "idb-checkpoint-export";
export const EXPORT_FORMAT_VERSION = 1;

export interface ExportedObjectStore {
  name: string;
  count: number;
  sha256: string;
  records: Array<[unknown, unknown]>;
}

export interface StoreExport {
  format: typeof EXPORT_FORMAT;
  formatVersion: number;
  database: string;
  schemaVersion: number;
  exportedAt: string;
  objectStores: ExportedObjectStore[];
  sha256: string;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const documentSum = (stores: Array<Pick<ExportedObjectStore, "name" | "count" | "sha256">>) => sha256(JSON.stringify(stores.map((s) => [s.name, s.count, s.sha256])));

export interface ExportOptions {
  /** The store's name, as given to openStore. */
  name: string;
  /** Also writes the export to this file. */
  path?: string;
}

/**
 * Reads every row of the page's store (call flushEvents first if the app may still buffer
 * events) and resolves with the export; writes it to `path` when given. Rejects with NOT_FOUND
 * when the page's origin has no such database.
 */
export async function exportStore(page: KitPage, options: ExportOptions): Promise<StoreExport> {
  const name = storeName(options, "exportStore");
  const dump = await page.evaluate(readDatabaseInPage, name);
  if (!dump.exists) throw new StoreError("NOT_FOUND", `the page's origin has no store "${name}"`);
  const objectStores = dump.stores.map((s) => ({ name: s.name, count: s.records.length, sha256: sha256(JSON.stringify(s.records)), records: s.records }));
  const doc: StoreExport = {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    database: name,
    schemaVersion: dump.version,
    exportedAt: new Date().toISOString(),
    objectStores,
    sha256: documentSum(objectStores),
  };
  if (options.path) await writeFile(options.path, JSON.stringify(doc));
  return doc;
}

/** Reads an export file and checks it (format, version, every checksum); rejects with INTEGRITY or INVALID_ARGUMENT. */
export async function readExport(path: string): Promise<StoreExport> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw new StoreError("INVALID_ARGUMENT", `${path} is not an idb-checkpoint export (${(e as Error).message})`, { cause: e });
  }
  return checkExport(parsed);
}

/** Checks an export document; resolves with it typed, or throws INVALID_ARGUMENT / INTEGRITY. */
export function checkExport(doc: unknown): StoreExport {
  const d = doc as Partial<StoreExport> | null;
  if (typeof d !== "object" || d === null || d.format !== EXPORT_FORMAT) throw new StoreError("INVALID_ARGUMENT", "not an idb-checkpoint export (no format marker)");
  if (d.formatVersion !== EXPORT_FORMAT_VERSION) {
    throw new StoreError("INVALID_ARGUMENT", `export format version ${String(d.formatVersion)} is not one this kit reads (it reads ${EXPORT_FORMAT_VERSION})`);
  }
  if (typeof d.database !== "string" || !Number.isSafeInteger(d.schemaVersion) || (d.schemaVersion ?? 0) < 1 || !Array.isArray(d.objectStores) || typeof d.sha256 !== "string") {
    throw new StoreError("INVALID_ARGUMENT", "the export lacks its database, schemaVersion, objectStores or sha256");
  }
  for (const s of d.objectStores) {
    if (typeof s?.name !== "string" || !Array.isArray(s.records) || s.records.length !== s.count) {
      throw new StoreError("INTEGRITY", `object store ${String(s?.name)} of the export does not hold the ${String(s?.count)} records it lists`);
    }
    if (sha256(JSON.stringify(s.records)) !== s.sha256) throw new StoreError("INTEGRITY", `object store ${s.name} of the export does not match its checksum`);
  }
  if (documentSum(d.objectStores) !== d.sha256) throw new StoreError("INTEGRITY", "the export's list of object stores does not match its checksum");
  return d as StoreExport;
}

export interface ImportOptions {
  /** Import under this name instead of the export's. */
  name?: string;
}

/**
 * Replaces the page's store with an export (a document or the path of a file), after checking
 * it. Reload the page afterwards: a store the app had open keeps what it cached.
 */
export async function importStore(page: KitPage, source: StoreExport | string, options: ImportOptions = {}): Promise<{ records: number }> {
  const doc = typeof source === "string" ? await readExport(source) : checkExport(source);
  const name = options.name ?? doc.database;
  const records = await page.evaluate(writeDatabaseInPage, {
    name,
    version: doc.schemaVersion,
    stores: doc.objectStores.map((s) => ({ name: s.name, records: s.records })),
  });
  return { records };
}
