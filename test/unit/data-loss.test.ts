import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { IDBFactory } from "fake-indexeddb";
import { openEngine } from "../../worker/index";
import { DATA_LOSS_KEY, explainOpenFailure, findLeftovers } from "../../worker/data-loss";
import { StoreError, isStoreError, toStoreError } from "../../src/errors";
import { countRowsWith, uniqueName } from "../conformance/backend";

/**
 * The browser's data-loss report on open, as the engine keeps it. fake-indexeddb reports no loss;
 * `reportingLoss` plays Chromium's recovery on the next open of a database: the `upgradeneeded`
 * event carries `dataLoss: "total"` and a message, as Chromium's does after it replaced an
 * unreadable backing store with an empty one. The real recovery is test/e2e/data-loss.test.ts.
 */

const MESSAGE = "IndexedDB (database was corrupt): checksum mismatch";

/** A factory whose upgradeneeded events carry `fields`, as Chromium's carry dataLoss and its message. */
function upgradeCarrying(factory: IDBFactory, fields: Record<string, unknown>): IDBFactory {
  return {
    open(name: string, version?: number) {
      const request = factory.open(name, version);
      // Added before the engine's own listener, so the engine sees the fields.
      request.addEventListener("upgradeneeded", (event) => {
        for (const [key, value] of Object.entries(fields)) Object.defineProperty(event, key, { value });
      });
      return request;
    },
  } as unknown as IDBFactory;
}

function reportingLoss(factory: IDBFactory, message = MESSAGE): IDBFactory {
  return upgradeCarrying(factory, { dataLoss: "total", dataLossMessage: message });
}

function rawGet(factory: IDBFactory, name: string, key: IDBValidKey): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      const get = db.transaction("meta").objectStore("meta").get(key);
      get.onsuccess = () => (db.close(), resolve(get.result));
      get.onerror = () => (db.close(), reject(get.error));
    };
  });
}

describe("data loss reported by the browser", () => {
  it("leaves dataLoss undefined on a new database the browser reports nothing for, and on later opens", async () => {
    const indexedDB = new IDBFactory();
    const name = uniqueName("dl-fresh");
    const first = await openEngine({ name, indexedDB });
    expect(first.dataLoss).toBeUndefined();
    await first.threads.save("t", {}, new Uint8Array([1]));
    await first.close();
    const again = await openEngine({ name, indexedDB });
    expect(again.dataLoss).toBeUndefined();
    await again.close();
    expect(await rawGet(indexedDB, name, DATA_LOSS_KEY)).toBeUndefined();
  });

  it("sets dataLoss { kind: 'total', message, reportedNow: true } on the open the browser reports it to", async () => {
    const indexedDB = new IDBFactory();
    const name = uniqueName("dl-report");
    const before = Date.now();
    const engine = await openEngine({ name, indexedDB: reportingLoss(indexedDB) });
    expect(engine.dataLoss).toEqual({ kind: "total", message: MESSAGE, at: expect.any(Number), reportedNow: true });
    expect(engine.dataLoss!.at).toBeGreaterThanOrEqual(before);
    expect(engine.dataLoss!.at).toBeLessThanOrEqual(Date.now());
    // The store works as a new, empty one.
    expect(await engine.threads.listThreads()).toEqual([]);
    await engine.threads.save("t", {}, new Uint8Array([1]));
    await engine.close();
  });

  it("keeps the report in the database, so later opens (which the browser tells nothing) still see it with reportedNow: false", async () => {
    const indexedDB = new IDBFactory();
    const name = uniqueName("dl-later");
    const reported = await openEngine({ name, indexedDB: reportingLoss(indexedDB) });
    const seen = reported.dataLoss!;
    await reported.close();
    for (let visit = 0; visit < 2; visit++) {
      const later = await openEngine({ name, indexedDB });
      expect(later.dataLoss).toEqual({ ...seen, reportedNow: false });
      await later.close();
    }
    expect(await rawGet(indexedDB, name, DATA_LOSS_KEY)).toEqual({ kind: "total", message: MESSAGE, at: seen.at });
  });

  it("writes the record in the upgrade transaction: one row in meta, none anywhere else", async () => {
    const indexedDB = new IDBFactory();
    const name = uniqueName("dl-rows");
    const engine = await openEngine({ name, indexedDB: reportingLoss(indexedDB) });
    await engine.close();
    expect(await countRowsWith(indexedDB, name)).toEqual({ blobs: 0, meta: 1, events: 0 });
  });

  it("keeps a report without a message as an empty message", async () => {
    const indexedDB = new IDBFactory();
    const name = uniqueName("dl-nomsg");
    const factory = upgradeCarrying(indexedDB, { dataLoss: "total" });
    const engine = await openEngine({ name, indexedDB: factory });
    expect(engine.dataLoss).toMatchObject({ kind: "total", message: "", reportedNow: true });
    await engine.close();
  });

  it("ignores dataLoss 'none', which Chromium reports on every ordinary upgrade", async () => {
    const indexedDB = new IDBFactory();
    const name = uniqueName("dl-none");
    const factory = upgradeCarrying(indexedDB, { dataLoss: "none", dataLossMessage: "" });
    const engine = await openEngine({ name, indexedDB: factory });
    expect(engine.dataLoss).toBeUndefined();
    await engine.close();
  });
});

describe("an open the browser fails with UnknownError", () => {
  it("names the likely cause (files it cannot read) and keeps the code, retryable flag and cause", () => {
    const cause = new DOMException("Internal error opening backing store for indexedDB.open.", "UnknownError");
    const failed = toStoreError(cause, 'opening "x"');
    const explained = explainOpenFailure(failed) as StoreError;
    expect(isStoreError(explained, "DATABASE_CLOSED")).toBe(true);
    expect(explained.message).toMatch(/^opening "x": the browser's storage failed \(Internal error opening backing store.*\)\. If this happens on every visit.*clearing the site's data/);
    expect(explained.retryable).toBe(failed.retryable);
    expect(explained.cause).toBe(cause);
  });

  it("leaves every other open failure as it was", () => {
    for (const e of [toStoreError(new DOMException("newer", "VersionError")), toStoreError(new DOMException("no", "SecurityError")), new Error("plain")]) {
      expect(explainOpenFailure(e)).toBe(e);
    }
  });
});

describe("a database opened as new that still holds rows", () => {
  it("is found in the upgrade transaction and recorded as dataLoss 'partial'", async () => {
    const indexedDB = new IDBFactory();
    const found: unknown[] = [];
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(uniqueName("dl-left"), 1);
      req.onupgradeneeded = () => {
        // Stands in for Chromium showing rows of before in the stores an upgrade just made.
        for (const s of ["blobs", "meta", "events"]) req.result.createObjectStore(s);
        req.transaction!.objectStore("events").put("left over", ["e", "t", 1]);
        findLeftovers(req.transaction!, (loss) => found.push(loss));
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    expect(found).toEqual([{ kind: "partial", message: expect.stringMatching(/opened this database as new, yet rows stored before/), at: expect.any(Number) }]);
    const kept = await new Promise((resolve) => {
      const get = db.transaction("meta").objectStore("meta").get(DATA_LOSS_KEY);
      get.onsuccess = () => resolve(get.result);
    });
    expect(kept).toEqual(found[0]);
    db.close();
  });
});
