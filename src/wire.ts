import { transferHandlers, type TransferHandler } from "comlink";
import { StoreError, isStoreError, ERROR_CODES, type ErrorCode } from "./errors.js";

/**
 * How errors cross the worker boundary. Comlink's own "throw" handler keeps only name, message
 * and stack; this one carries a StoreError's code, retryable flag and cause, so the page sees the
 * same StoreError the engine threw. Both sides register it (src/rpc.ts, worker/main.ts).
 */

interface WireError {
  storeError: boolean;
  code?: ErrorCode;
  retryable?: boolean;
  name: string;
  message: string;
  stack?: string;
  cause?: WireCause;
}

interface WireCause {
  name: string;
  message: string;
}

let registered = false;

export function registerWireHandlers(): void {
  if (registered) return;
  registered = true;
  const fallback = transferHandlers.get("throw") as TransferHandler<{ value: unknown }, unknown>;
  const handler: TransferHandler<{ value: unknown }, unknown> = {
    canHandle: fallback.canHandle,
    serialize({ value }) {
      if (isStoreError(value)) {
        const e = value as StoreError;
        const wire: WireError = {
          storeError: true,
          code: e.code,
          retryable: e.retryable,
          name: e.name,
          message: e.message,
          stack: e.stack,
          cause: causeOf(e.cause),
        };
        return [wire, []];
      }
      return fallback.serialize({ value });
    },
    deserialize(serialized) {
      const wire = serialized as WireError;
      if (wire && typeof wire === "object" && wire.storeError === true && ERROR_CODES.includes(wire.code as ErrorCode)) {
        const cause = wire.cause ? Object.assign(new Error(wire.cause.message), { name: wire.cause.name }) : undefined;
        const err = new StoreError(wire.code as ErrorCode, wire.message, { cause, retryable: wire.retryable });
        if (wire.stack) err.stack = wire.stack;
        throw err;
      }
      return fallback.deserialize(serialized);
    },
  };
  transferHandlers.set("throw", handler);
}

/** A cause may be a DOMException or anything else; only its name and message cross. */
function causeOf(cause: unknown): WireCause | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === "object") {
    const c = cause as { name?: unknown; message?: unknown };
    return { name: String(c.name ?? "Error"), message: String(c.message ?? "") };
  }
  return { name: "Error", message: String(cause) };
}
