import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { IDBFactory } from "fake-indexeddb";
import { openEngine } from "../../worker/index";
import { StoreError, isStoreError } from "../../src/errors";
import { uniqueName } from "../conformance/backend";

/** Opening fails with a typed error, whatever the platform throws, and options are checked first. */

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as StoreError);

describe("openEngine failures", () => {
  it("turns a SecurityError thrown by indexedDB.open (sandboxed iframe, opaque origin) into DATABASE_CLOSED, not retryable", async () => {
    const refusing = {
      open() {
        throw new DOMException("access to the Indexed Database API is denied in this context", "SecurityError");
      },
    } as unknown as IDBFactory;
    const err = await errorOf(openEngine({ name: uniqueName("sec"), indexedDB: refusing }));
    expect(isStoreError(err, "DATABASE_CLOSED")).toBe(true);
    expect(err!.retryable).toBe(false);
    expect(err!.message).toMatch(/refuses storage/);
  });

  it("rejects page-only and unknown options with INVALID_ARGUMENT", async () => {
    for (const extra of [{ timeoutMs: 5 }, { worker: {} }, { flushMs: 5 }, { durability: "default" }, { maxEventBytes: 0 }]) {
      const err = await errorOf(openEngine({ name: uniqueName("opts"), indexedDB: new IDBFactory(), ...extra } as never));
      expect(isStoreError(err, "INVALID_ARGUMENT")).toBe(true);
    }
  });

  it("keeps the class name StoreError for code that reads constructor.name", () => {
    expect(new StoreError("NOT_FOUND", "x").constructor.name).toBe("StoreError");
    expect(StoreError.name).toBe("StoreError");
  });
});
