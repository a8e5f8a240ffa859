import { transferHandlers, type TransferHandler } from "comlink";
import { StoreError, isStoreError, ERROR_CODES, type ErrorCode } from "./errors.js";

/**
 * How errors cross the worker boundary. Comlink's own "throw" handler keeps only name, message
 * and stack; this one carries a StoreError's code, retryable flag and cause, so the page sees the
 * same StoreError the engine threw. Both sides register it (src/rpc.ts, worker/main.ts).
 */

export interface WireError {
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
      return isStoreError(value) ? [errorToWire(value), []] : fallback.serialize({ value });
    },
    deserialize(serialized) {
      if (isWireStoreError(serialized)) throw errorFromWire(serialized);
      return fallback.deserialize(serialized);
    },
  };
  transferHandlers.set("throw", handler);
}

/** An error as it crosses: a StoreError whole, anything else as its name and message. */
export function errorToWire(value: unknown): WireError {
  if (isStoreError(value)) {
    const e = value as StoreError;
    return { storeError: true, code: e.code, retryable: e.retryable, name: e.name, message: e.message, stack: e.stack, cause: causeOf(e.cause) };
  }
  const e = value as { name?: unknown; message?: unknown; stack?: unknown } | null;
  const error = typeof e === "object" && e !== null;
  return {
    storeError: false,
    name: error ? String(e.name ?? "Error") : "Error",
    message: error ? String(e.message ?? "") : String(value),
    stack: error && typeof e.stack === "string" ? e.stack : undefined,
  };
}

/** The error `errorToWire` describes, rebuilt on this side. */
export function errorFromWire(wire: WireError): Error {
  if (isWireStoreError(wire)) {
    const cause = wire.cause ? Object.assign(new Error(wire.cause.message), { name: wire.cause.name }) : undefined;
    const err = new StoreError(wire.code as ErrorCode, wire.message, { cause, retryable: wire.retryable });
    if (wire.stack) err.stack = wire.stack;
    return err;
  }
  const other = wire as WireError;
  const err = Object.assign(new Error(other.message), { name: other.name });
  if (other.stack) err.stack = other.stack;
  return err;
}

function isWireStoreError(wire: unknown): wire is WireError {
  const w = wire as WireError | null;
  return typeof w === "object" && w !== null && w.storeError === true && ERROR_CODES.includes(w.code as ErrorCode);
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
