import { afterEach } from "vitest";
import type { Stores } from "../../src/types";
import type { Backend } from "./backend";

/**
 * The stores a spec opens, closed after each test. `fresh()` opens a new database (or `name`
 * again); `reopen()` closes one and opens its database again, as a reload would.
 */
export function storesFor(backend: Backend, prefix: string) {
  const open: Stores[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  async function fresh(name = backend.freshName(prefix)): Promise<{ stores: Stores; name: string }> {
    const stores = await backend.open(name);
    open.push(stores);
    return { stores, name };
  }
  async function reopen(first: { stores: Stores; name: string }): Promise<{ stores: Stores; name: string }> {
    await closeNow(first.stores);
    return fresh(first.name);
  }
  /** Closes stores before the test ends (their database is checked while nothing holds it). */
  async function closeNow(stores: Stores): Promise<void> {
    open.splice(open.indexOf(stores), 1);
    await stores.close();
  }
  return { fresh, reopen, closeNow };
}
