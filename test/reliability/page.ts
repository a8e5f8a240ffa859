import { openStore, isStoreError, withThreadLock, ERROR_CODES, type Store } from "../../src/index";
import * as crash from "./crash-writer";
import { countRowsWith } from "../conformance/backend";
import { tabWork } from "./tab-work";

/**
 * The page the Playwright reliability tests drive: the library's public entry, and small helpers
 * that report outcomes as plain data (Playwright can only carry plain data back to Node).
 */

/** A call's result: `value` when ok, else the StoreError's code (or "raw <name>" for anything else). */
export interface Outcome {
  ok: boolean;
  value?: unknown;
  code?: string;
  retryable?: boolean;
  message?: string;
}

async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    if (isStoreError(e) && ERROR_CODES.includes(e.code)) return { ok: false, code: e.code, retryable: e.retryable, message: e.message };
    const err = e as { name?: string; message?: string };
    return { ok: false, code: `raw ${err?.name}`, message: String(err?.message ?? e) };
  }
}

/** Uncaught errors and unhandled rejections, for tests whose driver cannot watch the console. */
const errors: string[] = [];
window.addEventListener("error", (e) => errors.push(`pageerror: ${e.message}`));
window.addEventListener("unhandledrejection", (e) => errors.push(`unhandled rejection: ${String(e.reason)}`));

const harness = {
  /** Plays the app in the crash tests. */
  crash,
  errors,
  /** Rows per object store of database `name`, read with raw IndexedDB. */
  rows: (name: string) => countRowsWith(indexedDB, name),
  openStore,
  withThreadLock,
  outcome,
  stores: new Map<string, Store>(),
  async open(name: string, options: Record<string, unknown> = {}): Promise<void> {
    harness.stores.set(name, await openStore({ name, ...options }));
  },
  store(name: string): Store {
    const s = harness.stores.get(name);
    if (!s) throw new Error(`store ${name} is not open in this page`);
    return s;
  },
  bytes(size: number, seed: number): Uint8Array {
    const b = new Uint8Array(size);
    let x = seed * 2654435761 + 1;
    for (let i = 0; i < size; i++) {
      x = (x ^ (x << 13)) >>> 0;
      x = (x ^ (x >>> 17)) >>> 0;
      x = (x ^ (x << 5)) >>> 0;
      b[i] = x & 0xff;
    }
    return b;
  },
  /** Each tab's part in the two-tab tests. */
  tabs: undefined as unknown as ReturnType<typeof tabWork>,
};
harness.tabs = tabWork(harness.store, outcome, harness.bytes);

export type Harness = typeof harness;
declare global {
  interface Window {
    rel: Harness;
  }
}
window.rel = harness;
document.title = "ready";
