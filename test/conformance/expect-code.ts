import { expect } from "vitest";
import { isStoreError, type ErrorCode } from "../../src/errors";

/** Awaits `p` and checks that it rejected with a StoreError of `code`; resolves with the error. */
export async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<Error> {
  const e = await p.then(
    (v) => new Error(`expected ${code}, but resolved with ${String(v)}`),
    (err: unknown) => err,
  );
  expect(isStoreError(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
  return e as Error;
}
