import { describe, expect, it } from "vitest";
import { openStore, changeChannelName, type StoreChange } from "../../src/index";
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

  it("is undefined with a worker of an earlier version, which answers open with its change source alone, and that source still marks its changes local", async () => {
    const name = uniqueName("dl-earlier");
    // Speaks just enough of Comlink's protocol to answer open as earlier worker scripts did, and
    // announces one change under that source when asked to save.
    const source = `
      const channel = new BroadcastChannel(${JSON.stringify(changeChannelName(name))});
      onmessage = (e) => {
        const { id, path } = e.data;
        const name = path && path[0];
        if (name === "open") postMessage({ id, type: "RAW", value: "earlier-source" });
        else if (name === "call") {
          channel.postMessage({ kind: "idb-checkpoint:change", source: "earlier-source", change: { store: "threads", method: "save", threadId: "t", at: Date.now() } });
          postMessage({ id, type: "RAW", value: "cp-1" });
        } else postMessage({ id, type: "RAW", value: undefined });
      };`;
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const store = await openStore({ name, worker: new Worker(url, { type: "module" }) });
    try {
      expect(store.dataLoss).toBeUndefined();
      const seen: StoreChange[] = [];
      const stop = store.subscribe((c) => seen.push(c));
      await store.threads.save("t", {}, new Uint8Array([1]));
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      stop();
      expect(seen).toMatchObject([{ store: "threads", threadId: "t", local: true }]);
    } finally {
      await store.close();
      URL.revokeObjectURL(url);
    }
  });
});
