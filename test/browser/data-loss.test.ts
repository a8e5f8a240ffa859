import { describe, expect, it } from "vitest";
import { openStore } from "../../src/index";
import { openEngine } from "../../worker/index";
import { uniqueName } from "../conformance/backend";
import { printFigures } from "../reliability/figures";

/**
 * store.dataLoss where nothing was lost, in each engine: undefined on a new database and on
 * later opens. Chromium's upgradeneeded event carries dataLoss "none" then; the figure line
 * shows what each engine's event carries (Firefox and WebKit have no such field). The loss
 * itself, which takes damaging files on disk, is test/e2e/data-loss.test.ts (Chromium).
 */

function upgradeFields(name: string): Promise<{ dataLoss: unknown; dataLossMessage: unknown }> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    let fields = { dataLoss: undefined as unknown, dataLossMessage: undefined as unknown };
    req.onupgradeneeded = (event) => {
      const e = event as IDBVersionChangeEvent & { dataLoss?: unknown; dataLossMessage?: unknown };
      fields = { dataLoss: "dataLoss" in e ? e.dataLoss : "(no field)", dataLossMessage: "dataLossMessage" in e ? e.dataLossMessage : "(no field)" };
    };
    req.onsuccess = () => {
      req.result.close();
      indexedDB.deleteDatabase(name);
      resolve(fields);
    };
    req.onerror = () => reject(req.error);
  });
}

describe("store.dataLoss when nothing was lost", () => {
  it("is undefined on a new database and on every later open, through openStore and openEngine", async () => {
    const fields = await upgradeFields(uniqueName("dl-probe"));
    printFigures("upgradeneeded on a new database", { dataLoss: JSON.stringify(fields.dataLoss), dataLossMessage: JSON.stringify(fields.dataLossMessage) });
    expect(fields.dataLoss === "none" || fields.dataLoss === "(no field)").toBe(true);

    const name = uniqueName("dl-none");
    const first = await openStore({ name });
    expect(first.dataLoss).toBeUndefined();
    await first.threads.save("t", {}, new Uint8Array([1]));
    await first.close();
    const again = await openStore({ name });
    expect(again.dataLoss).toBeUndefined();
    await again.close();
    const engine = await openEngine({ name });
    expect(engine.dataLoss).toBeUndefined();
    expect(await engine.threads.count("t")).toBe(1);
    await engine.close();
  });
});
