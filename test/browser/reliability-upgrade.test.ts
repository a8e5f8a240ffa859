import { describe, it, expect } from "vitest";
import { openStore, isStoreError, ERROR_CODES } from "../../src/index";
import { Database, SCHEMA_VERSION } from "../../worker/db";
import { uniqueName } from "../conformance/backend";
import { printFigures } from "../reliability/figures";
import { rawOpen } from "../reliability/raw-idb";

/**
 * Upgrades and closes: a newer schema from another tab is let through (this store steps aside
 * and says so), an old tab that will not step aside makes the upgrade reject with UPGRADE_BLOCKED
 * instead of hanging, and calls caught by an upgrade mid-stream get typed errors. No raw
 * DOMException ever reaches the caller. (Site data cleared mid-burst is in
 * test/e2e/reliability-storage.test.ts: clearing is origin-wide, and browser-mode test files share
 * one origin.)
 */

const state = new Uint8Array(512).fill(3);

/** Every outcome is a success or a StoreError with a known code; counts them by code. */
function tally(outcomes: unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o === "ok" ? "ok" : isStoreError(o) && ERROR_CODES.includes(o.code) ? o.code : `raw ${String((o as Error)?.name)}: ${String(o)}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const settle = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => e,
  );

describe("upgrades and closes", () => {
  it("closes its connection and reports 'versionchange' when another tab opens a newer schema, instead of blocking it", async () => {
    const name = uniqueName("rel-upgrade");
    const reasons: string[] = [];
    const store = await openStore({ name, onClose: (r) => reasons.push(r) });
    await store.threads.save("t", {}, state);
    const started = performance.now();
    const newer = await rawOpen(name, SCHEMA_VERSION + 1);
    const upgradeMs = performance.now() - started;
    for (let i = 0; i < 100 && reasons.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    printFigures("newer schema in another tab", { upgradeMs: Math.round(upgradeMs), closeEvents: reasons.length });
    expect(newer.version).toBe(SCHEMA_VERSION + 1);
    expect(reasons).toEqual(["versionchange"]);
    // This code cannot read the newer schema: it says so with a typed error, never a hang.
    const err = await settle(store.threads.count("t"));
    expect(isStoreError(err)).toBe(true);
    newer.close();
    await store.close();
  });

  it("rejects an upgrade with UPGRADE_BLOCKED after the bounded wait when an old tab keeps its connection, and completes once it closes", async () => {
    const name = uniqueName("rel-blocked");
    const old = await rawOpen(name, SCHEMA_VERSION, (db) => {
      for (const s of ["blobs", "meta", "events"]) db.createObjectStore(s);
    });
    // A stubborn old tab: no versionchange handler, so it never closes by itself.
    const upgrading = new Database({ name, version: SCHEMA_VERSION + 1, blockedTimeoutMs: 1_000 });
    const started = performance.now();
    const err = await settle(upgrading.ready());
    const waitedMs = performance.now() - started;
    printFigures("stubborn old tab", { blockedTimeoutMs: 1_000, rejectedAfterMs: Math.round(waitedMs) });
    expect(isStoreError(err, "UPGRADE_BLOCKED")).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect(waitedMs).toBeLessThan(3_000);
    old.close();
    const retry = new Database({ name, version: SCHEMA_VERSION + 1, blockedTimeoutMs: 1_000 });
    await retry.ready();
    retry.close();
    upgrading.close();
  });

  it("rejects calls with typed errors when a newer schema arrives mid-stream, and never leaks a raw DOMException", async () => {
    const name = uniqueName("rel-vc-stream");
    const store = await openStore({ name });
    try {
      // A writer that keeps going: calls before the upgrade succeed, calls after it meet the newer schema.
      const outcomes: unknown[] = [];
      let upgraded = false;
      let newer: IDBDatabase | undefined;
      for (let i = 0; i < 400 && outcomes.filter((o) => o !== "ok").length < 20; i++) {
        const call = settle(store.threads.save("t", { i }, state));
        if (i === 30) newer = await rawOpen(name, SCHEMA_VERSION + 1).then((db) => ((upgraded = true), db));
        outcomes.push(await call);
      }
      newer?.close();
      const counts = tally(outcomes);
      printFigures("newer schema mid-stream", { calls: outcomes.length, ...counts });
      expect(upgraded).toBe(true);
      expect(counts.ok).toBeGreaterThanOrEqual(30);
      expect(Object.keys(counts).every((k) => k === "ok" || ERROR_CODES.includes(k as never))).toBe(true);
      expect(outcomes.length - counts.ok).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
