import { describe, expect, it } from "vitest";
import { requestPersistence, type RequestPersistenceOptions } from "../../src/index";
import { expectCode } from "../conformance/expect-code";

type Storage = NonNullable<RequestPersistenceOptions["storage"]>;

/** A StorageManager stand-in: `grants` says what persist() answers; counts the calls. */
function fakeStorage(initially: boolean, grants: boolean | Error): Storage & { persistCalls: number } {
  let persisted = initially;
  const fake = {
    persistCalls: 0,
    persisted: async () => persisted,
    persist: async () => {
      fake.persistCalls++;
      if (grants instanceof Error) throw grants;
      persisted = grants;
      return grants;
    },
  };
  return fake;
}

describe("requestPersistence", () => {
  it("asks the browser and reports 'persisted' when it agrees", async () => {
    const storage = fakeStorage(false, true);
    const p = await requestPersistence({ storage });
    expect(p).toMatchObject({ state: "persisted", persisted: true, asked: true });
    expect(storage.persistCalls).toBe(1);
  });

  it("reports 'best-effort' with a reason when the browser declines", async () => {
    const storage = fakeStorage(false, false);
    const p = await requestPersistence({ storage });
    expect(p).toMatchObject({ state: "best-effort", persisted: false, asked: true });
    expect(p.reason).toMatch(/evict/);
  });

  it("does not ask again when the origin is already persisted", async () => {
    const storage = fakeStorage(true, false);
    expect(await requestPersistence({ storage })).toMatchObject({ state: "persisted", asked: false });
    expect(storage.persistCalls).toBe(0);
  });

  it("only reports, without asking, when ask is false", async () => {
    const storage = fakeStorage(false, true);
    expect(await requestPersistence({ storage, ask: false })).toMatchObject({ state: "best-effort", asked: false });
    expect(storage.persistCalls).toBe(0);
  });

  it("answers 'unsupported' instead of throwing where the browser has no navigator.storage", async () => {
    const p = await requestPersistence({ storage: null });
    expect(p).toMatchObject({ state: "unsupported", persisted: false, asked: false });
    expect(p.reason).toMatch(/navigator\.storage/);
    // Node has no navigator.storage either: the default path gives the same answer.
    expect((await requestPersistence()).state).toBe("unsupported");
  });

  it("resolves 'best-effort' when persist() itself throws (a sandboxed frame, an opaque origin)", async () => {
    const storage = fakeStorage(false, new DOMException("not allowed", "SecurityError"));
    expect(await requestPersistence({ storage })).toMatchObject({ state: "best-effort", asked: true });
  });

  it("rejects bad options with INVALID_ARGUMENT", async () => {
    await expectCode(requestPersistence({ ask: "yes" as unknown as boolean }), "INVALID_ARGUMENT");
    await expectCode(requestPersistence(null as unknown as RequestPersistenceOptions), "INVALID_ARGUMENT");
  });
});
