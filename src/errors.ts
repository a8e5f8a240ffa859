/** The closed list of failure codes every store method can reject with. */
export const ERROR_CODES = [
  "INVALID_ARGUMENT",
  "NOT_FOUND",
  "CONFLICT",
  "GRAPH_MISMATCH",
  "TURN_FINISHED",
  "QUOTA_EXCEEDED",
  "INTEGRITY",
  "PAYLOAD_TOO_LARGE",
  "DATABASE_CLOSED",
  "UPGRADE_BLOCKED",
  "WORKER_GONE",
  "TIMEOUT",
  "THREAD_BUSY",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Codes where the same call, on the same store, may succeed when tried again later. A code may be
 * overridden per error where the cause says otherwise: DATABASE_CLOSED after `close()` is final,
 * DATABASE_CLOSED after another tab's upgrade or cleared site data is not (the next call reopens).
 *   CONFLICT        false: the run or store exists; trying again finds it again
 *   QUOTA_EXCEEDED  false: until the app or the user frees space
 *   WORKER_GONE     false: the worker died; open a new store, then retry
 *   TIMEOUT         true:  the outcome is unknown; the call may have been applied
 *   THREAD_BUSY     true:  another tab runs the thread; it will finish
 */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["DATABASE_CLOSED", "UPGRADE_BLOCKED", "TIMEOUT", "THREAD_BUSY"]);

export interface StoreErrorOptions {
  cause?: unknown;
  retryable?: boolean;
}

/** The one error type the library rejects with. `code` says what went wrong. */
export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: StoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE.has(code);
  }
}

// Minifiers rename classes; `e.constructor.name` should still say what the error is.
Object.defineProperty(StoreError, "name", { value: "StoreError" });

/** Whether `code` is retryable when nothing more specific is known (the README's table). */
export function isRetryableCode(code: ErrorCode): boolean {
  return RETRYABLE.has(code);
}

/** True when `e` is a StoreError, and, when `code` is given, one with that code. */
export function isStoreError(e: unknown, code?: ErrorCode): e is StoreError {
  if (typeof e !== "object" || e === null) return false;
  const err = e as { name?: unknown; code?: unknown };
  if (err.name !== "StoreError" || typeof err.code !== "string") return false;
  return code === undefined || err.code === code;
}

/** Shorthand for the most common rejection: the caller passed something unusable. */
export function invalid(message: string): StoreError {
  return new StoreError("INVALID_ARGUMENT", message);
}

/**
 * Translates whatever IndexedDB (or anything below it) threw into a StoreError.
 * This is the one place platform DOMExceptions are mapped, so no raw
 * InvalidStateError or TransactionInactiveError ever reaches a caller.
 */
export function toStoreError(e: unknown, context = "storage operation"): StoreError {
  if (isStoreError(e)) return e as StoreError;
  const name = typeof e === "object" && e !== null ? String((e as { name?: unknown }).name) : "";
  const message = e instanceof Error ? e.message : String(e);
  switch (name) {
    case "QuotaExceededError":
      return new StoreError("QUOTA_EXCEEDED", `${context}: storage quota exceeded`, { cause: e, retryable: false });
    case "InvalidStateError":
    case "TransactionInactiveError":
      return new StoreError("DATABASE_CLOSED", `${context}: the database connection is closed`, { cause: e });
    case "AbortError":
      // An aborted transaction without a more specific error: usually a closed connection or a
      // versionchange. The data it meant to write is not there, so the caller may try again.
      return new StoreError("DATABASE_CLOSED", `${context}: the transaction was aborted (${message})`, { cause: e });
    case "VersionError":
      return new StoreError("CONFLICT", `${context}: the database has a newer schema than this code knows`, {
        cause: e,
        retryable: false,
      });
    case "DataCloneError":
      return new StoreError("INVALID_ARGUMENT", `${context}: value cannot be stored (${message})`, { cause: e });
    case "SecurityError":
      return new StoreError(
        "DATABASE_CLOSED",
        `${context}: the browser refuses storage here (${message}): a sandboxed iframe or opaque origin, a file:// page, or storage blocked by the user`,
        { cause: e, retryable: false },
      );
    case "DataError":
      return new StoreError("INVALID_ARGUMENT", `${context}: invalid key or value (${message})`, { cause: e });
    case "UnknownError":
      return new StoreError("DATABASE_CLOSED", `${context}: the browser's storage failed (${message})`, { cause: e });
    default:
      return new StoreError("DATABASE_CLOSED", `${context} failed: ${message}`, { cause: e, retryable: false });
  }
}
