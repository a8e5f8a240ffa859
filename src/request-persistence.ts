import { invalid } from "./errors.js";

/**
 * Whether the browser keeps this origin's storage when it needs room:
 * - `"persisted"`: it does not evict it by itself; only the user clears it.
 * - `"best-effort"`: it may evict it under storage pressure (and Safari after seven days of use
 *   without a visit, see the README); the browser declined or was not asked.
 * - `"unsupported"`: this browser gives the page no way to ask (WebKitGTK has no
 *   `navigator.storage`; Chromium and Firefox have none on `http:` pages other than localhost).
 */
export type PersistenceState = "persisted" | "best-effort" | "unsupported";

export interface Persistence {
  state: PersistenceState;
  /** `state === "persisted"`. */
  persisted: boolean;
  /** Whether this call asked the browser (`navigator.storage.persist()`). */
  asked: boolean;
  /** One sentence for people: what the state means here. */
  reason: string;
}

export interface RequestPersistenceOptions {
  /**
   * Ask the browser (default `true`). `false` only reports: use it on load, and ask from a
   * user's gesture, since Firefox shows a permission prompt and the answer waits for the user.
   */
  ask?: boolean;
  /** The StorageManager to use; `navigator.storage` by default, `null` for none. */
  storage?: Pick<StorageManager, "persisted" | "persist"> | null;
}

const UNSUPPORTED =
  "This browser gives the page no Storage API (navigator.storage), so it cannot ask to keep this site's data: the browser may evict it when space runs low.";

/**
 * Asks the browser to persist the origin's storage, and reports whether it is persisted. Never
 * rejects for what the browser lacks or refuses: that is the answer (`"unsupported"`,
 * `"best-effort"`); it rejects with INVALID_ARGUMENT for bad options only.
 */
export async function requestPersistence(options: RequestPersistenceOptions = {}): Promise<Persistence> {
  if (typeof options !== "object" || options === null) throw invalid("requestPersistence: options must be an object");
  const { ask = true } = options;
  if (typeof ask !== "boolean") throw invalid("requestPersistence: ask must be a boolean");
  const storage = "storage" in options ? options.storage : (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage || typeof storage.persisted !== "function") return { state: "unsupported", persisted: false, asked: false, reason: UNSUPPORTED };

  const already = await storage.persisted().catch(() => false);
  if (already) return result(true, false, "The browser keeps this site's data until the user clears it.");
  if (!ask) return result(false, false, "The browser may evict this site's data when space runs low; it has not been asked to keep it.");
  if (typeof storage.persist !== "function") {
    return result(false, false, "This browser can report but not request persistence: it may evict this site's data when space runs low.");
  }
  let granted: boolean;
  try {
    granted = await storage.persist();
  } catch (e) {
    return result(false, true, `The browser refused to consider the request (${e instanceof Error ? e.message : String(e)}): it may evict this site's data when space runs low.`);
  }
  // Some engines answer persist() before they record the grant; persisted() is the truth.
  const now = granted || (await storage.persisted().catch(() => false));
  return now
    ? result(true, true, "The browser agreed to keep this site's data until the user clears it.")
    : result(false, true, "The browser declined for now (it decides by how the site is used: bookmarks, installs, visits): it may evict this site's data when space runs low.");
}

function result(persisted: boolean, asked: boolean, reason: string): Persistence {
  return { state: persisted ? "persisted" : "best-effort", persisted, asked, reason };
}
