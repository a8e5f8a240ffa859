import "fake-indexeddb/auto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { IDBFactory } from "fake-indexeddb";
import { openEngine } from "../../worker/index";
import { uniqueName } from "../conformance/backend";

/**
 * Thread checkpoint ids are never handed out twice for one thread, even when two handles (tabs)
 * save in the same millisecond around a delete of the thread's last checkpoint, which takes the
 * thread's head row (and with it the last id's counter) away.
 */
/** Two handles (tabs) on one database, under a clock frozen at one millisecond. */
async function twoHandlesInOneMillisecond() {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(1_800_000_000_000);
  const indexedDB = new IDBFactory();
  const name = uniqueName("ids");
  return [await openEngine({ name, indexedDB }), await openEngine({ name, indexedDB })] as const;
}

describe("thread checkpoint ids", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("gives a save in another handle, in the same millisecond as a deleted thread's last save, a new id", async () => {
    const [tabA, tabB] = await twoHandlesInOneMillisecond();
    try {
      const seen = new Set<string>();
      for (let round = 0; round < 20; round++) {
        const first = await tabA.threads.save("t", {}, new Uint8Array([round]));
        await tabA.threads.deleteThread("t");
        const second = await tabB.threads.save("t", {}, new Uint8Array([round]));
        await tabB.threads.deleteThread("t");
        for (const id of [first, second]) {
          expect(seen.has(id)).toBe(false);
          seen.add(id);
        }
      }
    } finally {
      await tabA.close();
      await tabB.close();
    }
  });

  it("keeps ids of one thread in the order they were saved, within one millisecond", async () => {
    const [tabA, tabB] = await twoHandlesInOneMillisecond();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push(await (i % 2 ? tabB : tabA).threads.save("t", {}, new Uint8Array([i])));
      expect([...ids].sort()).toEqual(ids);
      expect((await tabB.threads.loadLatest("t")).meta.checkpointId).toBe(ids[9]);
    } finally {
      await tabA.close();
      await tabB.close();
    }
  });
});
