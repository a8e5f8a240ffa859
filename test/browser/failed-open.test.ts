import { afterEach, describe, expect, it } from "vitest";
import { openStore, isStoreError, type StoreChange } from "../../src/index";
import { openEngine } from "../../worker/index";
import { Database, SCHEMA_VERSION } from "../../worker/db";
import { engineLockPrefix } from "../../src/changes/index";
import { uniqueName } from "../conformance/backend";
import { rawOpen } from "../reliability/raw-idb";

/**
 * A failed open gives back everything it took: the engine's Web Lock and its BroadcastChannel
 * (worker/announce.ts), the worker (src/client.ts), and any connection that opens after the open
 * gave up. A later open in the same page then works, live updates included, and nothing of the
 * failed one blocks another tab's upgrade. Runs in Chromium, Firefox and WebKit.
 */

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Engine locks of `name` held in the origin (any worker or page), once settled: none held for
 * 250 ms in a row, polled for up to `settleMs`; with `settleMs` 0, the count now. A failed open
 * withdraws the lock request it made (before, CI runs with every suite beside it saw the dying
 * worker granted it a moment after the failure: 0, then 1, then 0), and frees a granted one as
 * the worker ends, which a loaded machine may take seconds to get to.
 */
async function engineLocksHeld(name: string, settleMs = 5_000): Promise<number> {
  const count = async () => ((await navigator.locks.query()).held ?? []).filter((l) => l.name?.startsWith(engineLockPrefix(name))).length;
  let held = await count();
  let freeSince = held === 0 ? performance.now() : undefined;
  for (const until = performance.now() + settleMs; performance.now() < until; ) {
    if (freeSince !== undefined && performance.now() - freeSince >= 250) return 0;
    await sleep(20);
    held = await count();
    freeSince = held === 0 ? (freeSince ?? performance.now()) : undefined;
  }
  return held;
}

/** A newer schema on disk, as a newer version of the app in another tab leaves it. */
async function newerSchemaOnDisk(name: string): Promise<void> {
  const db = await rawOpen(name, SCHEMA_VERSION + 1, (d) => {
    for (const s of ["blobs", "meta", "events"]) d.createObjectStore(s);
  });
  db.close();
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
  });
}

/** BroadcastChannels made while it is installed, and whether each was closed. */
function trackChannels() {
  const Original = globalThis.BroadcastChannel;
  const made: Array<{ name: string; closed: boolean }> = [];
  class Tracked extends Original {
    private readonly entry: { name: string; closed: boolean };
    constructor(name: string) {
      super(name);
      this.entry = { name, closed: false };
      made.push(this.entry);
    }
    override close(): void {
      this.entry.closed = true;
      super.close();
    }
  }
  globalThis.BroadcastChannel = Tracked;
  return { made, restore: () => void (globalThis.BroadcastChannel = Original) };
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

async function changeArrives(store: { subscribe(l: (c: StoreChange) => void): () => void; threads: { save(t: string, m: object, s: Uint8Array): Promise<string> } }): Promise<boolean> {
  const seen: StoreChange[] = [];
  const stop = store.subscribe((c) => seen.push(c));
  await store.threads.save("t", {}, new Uint8Array([1, 2, 3]));
  for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(20);
  stop();
  return seen.some((c) => c.store === "threads" && c.threadId === "t");
}

describe("a failed open", () => {
  it("openEngine rejecting for a newer schema on disk closes its BroadcastChannel and frees its engine lock, and the next openEngine works", async () => {
    const name = uniqueName("fail-engine");
    await newerSchemaOnDisk(name);
    const channels = trackChannels();
    restore = channels.restore;
    const err = await errorOf(openEngine({ name }));
    expect(isStoreError(err, "CONFLICT")).toBe(true);
    expect(channels.made.length).toBeGreaterThan(0);
    expect(channels.made.filter((c) => !c.closed)).toEqual([]);
    expect(await engineLocksHeld(name)).toBe(0);
    channels.restore();
    restore = undefined;

    await deleteDatabase(name);
    const engine = await openEngine({ name });
    try {
      expect(await engineLocksHeld(name, 0)).toBe(1);
      expect(await changeArrives(engine)).toBe(true);
    } finally {
      await engine.close();
    }
    expect(await engineLocksHeld(name)).toBe(0);
  });

  it("openStore rejecting for a newer schema on disk ends its worker and frees the engine lock; the next openStore in the page works", async () => {
    const name = uniqueName("fail-store");
    await newerSchemaOnDisk(name);
    const err = await errorOf(openStore({ name }));
    expect(isStoreError(err, "CONFLICT")).toBe(true);
    expect(await engineLocksHeld(name)).toBe(0);
    // The same failure again: nothing left over from the first changes it.
    expect(isStoreError(await errorOf(openStore({ name })), "CONFLICT")).toBe(true);

    await deleteDatabase(name);
    const store = await openStore({ name });
    try {
      expect(await engineLocksHeld(name, 0)).toBe(1);
      expect(await changeArrives(store)).toBe(true);
      expect(await store.threads.count("t")).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("an upgrade given up as UPGRADE_BLOCKED closes the connection that opens after it, so it blocks no later upgrade", async () => {
    const name = uniqueName("fail-blocked");
    const old = await rawOpen(name, SCHEMA_VERSION, (db) => {
      for (const s of ["blobs", "meta", "events"]) db.createObjectStore(s);
    });
    const upgrading = new Database({ name, version: SCHEMA_VERSION + 1, blockedTimeoutMs: 300 });
    expect(isStoreError(await errorOf(upgrading.ready()), "UPGRADE_BLOCKED")).toBe(true);
    // The old tab lets go: the abandoned upgrade now completes, and must close at once.
    old.close();
    // A connection left open would get versionchange and keep the next upgrade blocked.
    const newer = await new Promise<IDBDatabase | "blocked">((resolve, reject) => {
      const req = indexedDB.open(name, SCHEMA_VERSION + 2);
      req.onblocked = () => resolve("blocked");
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    expect(newer).not.toBe("blocked");
    expect((newer as IDBDatabase).version).toBe(SCHEMA_VERSION + 2);
    (newer as IDBDatabase).close();
    upgrading.close();
  });
});
