import { afterEach, describe, expect, it } from "vitest";
import { isStoreError } from "../../src/errors";
import type { CheckpointSaver, SaverPutRequest, SaverWrite, SerializedValue, Stores, StoredSaverTuple, StoredWrite } from "../../src/types";
import type { Backend } from "./backend";

const enc = new TextEncoder();
const dec = new TextDecoder();
const sv = (text: string, type = "json"): SerializedValue => [type, enc.encode(text)];
const text = (v: SerializedValue | undefined) => (v ? `${v[0]}:${dec.decode(v[1])}` : undefined);
const values = (t: StoredSaverTuple | undefined) =>
  Object.fromEntries(Object.entries(t?.channelValues ?? {}).map(([k, v]) => [k, text(v)]));
const writes = (ws: StoredWrite[] | undefined) => (ws ?? []).map((w) => [w.taskPath, w.taskId, w.idx, w.channel, text(w.value)]);

/** A put request with defaults; ids are chosen so plain string order is creation order. */
function putReq(over: Partial<SaverPutRequest> & { checkpointId: string }): SaverPutRequest {
  return {
    threadId: "t1",
    ns: "",
    v: 4,
    checkpoint: sv(`cp-${over.checkpointId}`),
    metadata: sv(`{"step":1}`),
    metadataIndex: { step: "1" },
    channelVersions: {},
    blobs: [],
    ...over,
  };
}

const w = (idx: number, channel: string, value: string): SaverWrite => ({ idx, channel, value: sv(value) });

async function expectInvalid(p: Promise<unknown>): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isStoreError(e, "INVALID_ARGUMENT"), `expected INVALID_ARGUMENT, got ${String(e)}`).toBe(true);
}

export function saverSpec(backend: Backend): void {
  describe(`saver (seed 001) on ${backend.name}`, () => {
    const open: Stores[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    async function fresh(): Promise<{ saver: CheckpointSaver; name: string; stores: Stores }> {
      const name = backend.freshName("saver");
      const stores = await backend.open(name);
      open.push(stores);
      return { saver: stores.saver, name, stores };
    }

    it("round-trips a checkpoint: bytes, type tags, metadata, parent and versions", async () => {
      const { saver } = await fresh();
      await saver.put(putReq({ checkpointId: "a", channelVersions: { x: 1 }, blobs: [{ channel: "x", version: 1, value: sv("1", "bytes") }] }));
      await saver.put(putReq({ checkpointId: "b", parentId: "a", metadata: sv(`{"step":2}`, "msgpack") }));
      const t = await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "b" });
      expect(t).toMatchObject({ threadId: "t1", ns: "", checkpointId: "b", parentId: "a", v: 4, channelVersions: {} });
      expect(text(t!.checkpoint)).toBe("json:cp-b");
      expect(text(t!.metadata)).toBe(`msgpack:{"step":2}`);
      const a = await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "a" });
      expect(a!.parentId).toBeUndefined();
      expect(values(a)).toEqual({ x: "bytes:1" });
      expect(a!.channelVersions).toEqual({ x: 1 });
    });

    it("put resolves with the stored checkpoint's address, which getTuple reads back", async () => {
      const { saver } = await fresh();
      const address = await saver.put(putReq({ checkpointId: "a", ns: "sub:1" }));
      expect(address).toEqual({ threadId: "t1", ns: "sub:1", checkpointId: "a" });
      expect((await saver.getTuple(address))?.checkpointId).toBe("a");
    });

    it("getTuple without an id returns the newest checkpoint of that thread and namespace only", async () => {
      const { saver } = await fresh();
      await saver.put(putReq({ checkpointId: "1" }));
      await saver.put(putReq({ checkpointId: "2" }));
      await saver.put(putReq({ checkpointId: "3", ns: "sub:1" }));
      await saver.put(putReq({ checkpointId: "4", threadId: "t2" }));
      expect((await saver.getTuple({ threadId: "t1", ns: "" }))?.checkpointId).toBe("2");
      expect((await saver.getTuple({ threadId: "t1", ns: "sub:1" }))?.checkpointId).toBe("3");
      expect(await saver.getTuple({ threadId: "t1", ns: "other" })).toBeUndefined();
      expect(await saver.getTuple({ threadId: "nope", ns: "" })).toBeUndefined();
      expect(await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "9" })).toBeUndefined();
    });

    it("stores only the new versions' blobs, once each, and rebuilds channel_values from channel_versions", async () => {
      const { saver } = await fresh();
      await saver.put(putReq({ checkpointId: "1", channelVersions: { a: 1, b: 1 }, blobs: [{ channel: "a", version: 1, value: sv("a1") }, { channel: "b", version: 1, value: null }] }));
      // "a" is carried over at version 1; a second blob for (a, 1) must not replace the first.
      await saver.put(putReq({ checkpointId: "2", parentId: "1", channelVersions: { a: 1, b: 2 }, blobs: [{ channel: "a", version: 1, value: sv("other") }, { channel: "b", version: 2, value: sv("b2") }] }));
      await saver.put(putReq({ checkpointId: "3", parentId: "2", channelVersions: { a: 1, c: 1 }, blobs: [] }));
      expect(values(await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "1" }))).toEqual({ a: "json:a1" });
      expect(values(await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "2" }))).toEqual({ a: "json:a1", b: "json:b2" });
      expect(values(await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "3" }))).toEqual({ a: "json:a1" });
    });

    it("accepts writes for a checkpoint before it is put", async () => {
      const { saver } = await fresh();
      await saver.putWrites({ threadId: "t1", ns: "", checkpointId: "1", taskId: "task", taskPath: "", writes: [w(0, "x", "early")] });
      expect(await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "1" })).toBeUndefined();
      await saver.put(putReq({ checkpointId: "1" }));
      const t = await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "1" });
      expect(writes(t!.pendingWrites)).toEqual([["", "task", 0, "x", "json:early"]]);
    });

    it("replaces a checkpoint put again under its id, frees the old one's bytes, and keeps each (channel, version) value it stored first", async () => {
      const { saver, name } = await fresh();
      const rows = () => backend.countRows(name);
      const big = (tag: string) => sv(tag + "y".repeat(6000) + tag);
      const blob = (value: string) => [{ channel: "x", version: "1", value: sv(value) }];
      await saver.put(putReq({ checkpointId: "a", checkpoint: big("first"), channelVersions: { x: "1" }, blobs: blob("one") }));
      const once = await rows();
      await saver.put(putReq({ checkpointId: "a", checkpoint: big("again"), metadata: sv(`{"step":2}`), channelVersions: { x: "1" }, blobs: blob("other") }));
      const t = await saver.getTuple({ threadId: "t1", ns: "" });
      expect(dec.decode(t!.checkpoint[1]).slice(0, 5)).toBe("again");
      expect(text(t!.metadata)).toBe(`json:{"step":2}`);
      expect(values(t)).toEqual({ x: "json:one" });
      expect(await rows()).toEqual(once);
      // The same in one batch: a put, then the same id again.
      await saver.batch([{ put: putReq({ checkpointId: "b", checkpoint: big("b1") }) }, { put: putReq({ checkpointId: "b", checkpoint: big("b2") }) }]);
      expect(dec.decode((await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "b" }))!.checkpoint[1]).slice(0, 2)).toBe("b2");
    });

    it("stores calls made without waiting in the order they were made, even when an earlier one takes longer to prepare, and deletes a thread only after the writes sent before", async () => {
      const { saver } = await fresh();
      // A large, fresh payload takes the engine longer to chunk and compress than a tiny one.
      const large = sv("L" + Array.from({ length: 60_000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join(""));
      const base = { threadId: "t1", ns: "", checkpointId: "1", taskId: "task", taskPath: "p" };
      await saver.put(putReq({ checkpointId: "1" }));
      const calls = [
        saver.putWrites({ ...base, writes: [{ idx: -4, channel: "__resume__", value: large }] }),
        saver.putWrites({ ...base, writes: [w(-4, "__resume__", "small")] }),
        saver.put(putReq({ checkpointId: "2", checkpoint: large })),
        saver.put(putReq({ checkpointId: "2", checkpoint: sv("small") })),
      ];
      await Promise.all(calls);
      const t1 = await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "1" });
      expect(writes(t1!.pendingWrites)).toEqual([["p", "task", -4, "__resume__", "json:small"]]);
      expect(text((await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "2" }))!.checkpoint)).toBe("json:small");
      const later = saver.put(putReq({ threadId: "t2", checkpointId: "1", checkpoint: large }));
      await saver.deleteThread("t2");
      await later;
      expect(await saver.getTuple({ threadId: "t2", ns: "" })).toBeUndefined();
    });

    it("keeps the first regular write and replaces special ones, also in a mixed batch", async () => {
      const { saver } = await fresh();
      await saver.put(putReq({ checkpointId: "1" }));
      const base = { threadId: "t1", ns: "", checkpointId: "1", taskId: "task", taskPath: "p" };
      await saver.putWrites({ ...base, writes: [w(-4, "__resume__", "r1"), w(1, "v", "first")] });
      await saver.putWrites({ ...base, writes: [w(-4, "__resume__", "r2"), w(1, "v", "second"), w(2, "v", "new")] });
      const t = await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "1" });
      expect(writes(t!.pendingWrites)).toEqual([
        ["p", "task", -4, "__resume__", "json:r2"],
        ["p", "task", 1, "v", "json:first"],
        ["p", "task", 2, "v", "json:new"],
      ]);
    });

    it("keeps the first of repeated regular slots and the last of repeated special slots within one call, and frees the replaced ones", async () => {
      const { saver, name } = await fresh();
      const rows = () => backend.countRows(name);
      await saver.put(putReq({ checkpointId: "1" }));
      const base = { threadId: "t1", ns: "", checkpointId: "1", taskId: "task", taskPath: "p" };
      const big = (tag: string) => tag + "x".repeat(5000) + tag;
      await saver.putWrites({ ...base, writes: [w(-3, "__interrupt__", big("i1")), w(0, "v", "a"), w(-3, "__interrupt__", big("i2")), w(0, "v", "b")] });
      const t = await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "1" });
      expect(t!.pendingWrites.map((x) => [x.idx, dec.decode(x.value[1]).slice(0, 2)])).toEqual([
        [-3, "i2"],
        [0, "a"],
      ]);
      // Replacing the interrupt again leaves as many rows as one interrupt needs.
      const before = await rows();
      await saver.putWrites({ ...base, writes: [w(-3, "__interrupt__", big("i3"))] });
      expect(await rows()).toEqual(before);
    });

    it("returns pending writes in writesSortKey order (task path by code point, task id, idx)", async () => {
      const { saver } = await fresh();
      await saver.put(putReq({ checkpointId: "1" }));
      const put = (taskId: string, taskPath: string, ws: SaverWrite[]) =>
        saver.putWrites({ threadId: "t1", ns: "", checkpointId: "1", taskId, taskPath, writes: ws });
      // U+1F600 is below U+FF5E in UTF-16 units but above it by code point.
      await put("z", "\u{1F600}", [w(0, "c", "emoji")]);
      await put("b", "\uFF5E", [w(1, "c", "b1"), w(0, "c", "b0")]);
      await put("a", "\uFF5E", [w(0, "c", "a0")]);
      await put("y", "", [w(0, "c", "input")]);
      const t = await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "1" });
      expect(t!.pendingWrites.map((x) => dec.decode(x.value[1]))).toEqual(["input", "a0", "b0", "b1", "emoji"]);
      expect(t!.pendingWrites[4].taskPath).toBe("\u{1F600}");
    });

    it("returns the parent's pending sends for checkpoints older than format 4", async () => {
      const { saver } = await fresh();
      await saver.put(putReq({ checkpointId: "1", v: 1 }));
      const base = { threadId: "t1", ns: "", checkpointId: "1", taskPath: "" };
      await saver.putWrites({ ...base, taskId: "task-1", writes: [w(0, "__pregel_tasks", "s1"), w(1, "other", "x"), w(2, "__pregel_tasks", "s2")] });
      await saver.putWrites({ ...base, taskId: "task-2", writes: [w(0, "__pregel_tasks", "s3")] });
      await saver.put(putReq({ checkpointId: "2", parentId: "1", v: 1 }));
      await saver.put(putReq({ checkpointId: "3", parentId: "2", v: 4 }));
      const t = await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "2" });
      expect(t!.parentSends!.map((x) => dec.decode(x.value[1]))).toEqual(["s1", "s2", "s3"]);
      expect((await saver.getTuple({ threadId: "t1", ns: "", checkpointId: "3" }))!.parentSends).toBeUndefined();
    });

    it("lists newest first across threads and namespaces, with limit, before, filter and checkpoint id", async () => {
      const { saver } = await fresh();
      const puts: Array<[string, string, string, string]> = [
        ["1", "t1", "", "a"],
        ["2", "t2", "", "b"],
        ["3", "t1", "sub", "a"],
        ["4", "t2", "sub", "b"],
        ["5", "t1", "", "b"],
      ];
      for (const [id, threadId, ns, src] of puts) {
        await saver.put(putReq({ checkpointId: id, threadId, ns, metadataIndex: { source: JSON.stringify(src), nested: `{"k":1}` } }));
      }
      const ids = async (r: Parameters<CheckpointSaver["list"]>[0]) => (await saver.list(r)).map((t) => t.checkpointId);
      expect(await ids({})).toEqual(["5", "4", "3", "2", "1"]);
      expect(await ids({ limit: 2 })).toEqual(["5", "4"]);
      expect(await ids({ limit: 0 })).toEqual([]);
      expect(await ids({ threadId: "t1" })).toEqual(["5", "3", "1"]);
      expect(await ids({ threadId: "t1", ns: "" })).toEqual(["5", "1"]);
      expect(await ids({ ns: "sub" })).toEqual(["4", "3"]);
      expect(await ids({ before: "4" })).toEqual(["3", "2", "1"]);
      expect(await ids({ threadId: "t2", before: "4" })).toEqual(["2"]);
      expect(await ids({ filter: { source: `"b"` } })).toEqual(["5", "4", "2"]);
      expect(await ids({ filter: { source: `"b"` }, limit: 1 })).toEqual(["5"]);
      expect(await ids({ filter: { nested: `{"k":1}` } })).toHaveLength(5);
      expect(await ids({ filter: { missing: "1" } })).toEqual([]);
      expect(await ids({ checkpointId: "3" })).toEqual(["3"]);
      expect(await ids({ threadId: "t2", checkpointId: "3" })).toEqual([]);
      expect(await ids({ threadId: "t1", ns: "sub", checkpointId: "3" })).toEqual(["3"]);
      expect(await ids({ checkpointId: "3", before: "3" })).toEqual([]);
      expect(await ids({ threadId: "t1", ns: "sub", checkpointId: "3", before: "3" })).toEqual([]);
    });

    it("deleteThread removes checkpoints, blobs and writes of every namespace, in every object store", async () => {
      const { saver, name } = await fresh();
      await saver.put(putReq({ checkpointId: "0", threadId: "keep", channelVersions: { a: 1 }, blobs: [{ channel: "a", version: 1, value: sv("k".repeat(500)) }] }));
      await saver.putWrites({ threadId: "keep", ns: "", checkpointId: "0", taskId: "t", taskPath: "", writes: [w(0, "a", "kept")] });
      const before = await backend.countRows(name);
      for (const ns of ["", "sub:1", "sub:1|inner:2"]) {
        await saver.put(putReq({ checkpointId: "1", ns, channelVersions: { a: 1 }, blobs: [{ channel: "a", version: 1, value: sv("x".repeat(500)) }, { channel: "b", version: 1, value: null }] }));
        await saver.putWrites({ threadId: "t1", ns, checkpointId: "1", taskId: "t", taskPath: "", writes: [w(0, "a", "w"), w(-1, "__error__", "e")] });
      }
      await saver.putWrites({ threadId: "t1", ns: "", checkpointId: "never-put", taskId: "t", taskPath: "", writes: [w(0, "a", "orphan")] });
      expect(await backend.countRows(name)).not.toEqual(before);
      await saver.deleteThread("t1");
      expect(await backend.countRows(name)).toEqual(before);
      expect(await saver.getTuple({ threadId: "t1", ns: "" })).toBeUndefined();
      expect(await saver.list({ threadId: "t1" })).toEqual([]);
      expect(values(await saver.getTuple({ threadId: "keep", ns: "" }))).toEqual({ a: `json:${"k".repeat(500)}` });
      await saver.deleteThread("unknown");
    });

    it("walks the ancestors for delta channel history: oldest first, target's own writes excluded, nearest seed", async () => {
      const { saver } = await fresh();
      const pw = (id: string, taskId: string, value: string) =>
        saver.putWrites({ threadId: "t1", ns: "n", checkpointId: id, taskId, taskPath: "", writes: [w(0, "m", value), w(1, "o", `o-${value}`)] });
      await saver.put(putReq({ checkpointId: "1", ns: "n", channelVersions: { m: 1 }, blobs: [{ channel: "m", version: 1, value: sv("seed") }] }));
      await pw("1", "t", "w1");
      await saver.put(putReq({ checkpointId: "2", ns: "n", parentId: "1", channelVersions: { m: 2 }, blobs: [{ channel: "m", version: 2, value: null }] }));
      await pw("2", "b", "w2b");
      await pw("2", "a", "w2a");
      await saver.put(putReq({ checkpointId: "3", ns: "n", parentId: "2", channelVersions: { m: 2 } }));
      await pw("3", "t", "own");
      const h = await saver.getDeltaChannelHistory({ threadId: "t1", ns: "n", checkpointId: "3", channels: ["m", "o"] });
      expect(text(h.m.seed)).toBe("json:seed");
      expect(h.m.writes.map((x) => text(x.value))).toEqual(["json:w1", "json:w2a", "json:w2b"]);
      expect(h.o.seed).toBeUndefined();
      expect(h.o.writes.map((x) => text(x.value))).toEqual(["json:o-w1", "json:o-w2a", "json:o-w2b"]);
      const latest = await saver.getDeltaChannelHistory({ threadId: "t1", ns: "n", channels: ["m"] });
      expect(latest.m.writes).toHaveLength(3);
      expect(await saver.getDeltaChannelHistory({ threadId: "t1", ns: "n", checkpointId: "3", channels: [] })).toEqual({});
    });

    it("rejects bad input with INVALID_ARGUMENT and writes nothing", async () => {
      const { saver, name } = await fresh();
      await saver.put(putReq({ checkpointId: "1" }));
      const before = await backend.countRows(name);
      const bad: Array<() => Promise<unknown>> = [
        () => saver.put(putReq({ checkpointId: "" })),
        () => saver.put(putReq({ checkpointId: "2", threadId: 5 as never })),
        () => saver.put(putReq({ checkpointId: "2", checkpoint: ["json", "not bytes" as never] })),
        () => saver.put(putReq({ checkpointId: "2", metadataIndex: { k: 1 as never } })),
        () => saver.put(putReq({ checkpointId: "2", channelVersions: { a: Number.NaN } })),
        () => saver.put(putReq({ checkpointId: "2", blobs: [{ channel: "a", version: 1, value: sv("ok") }, { channel: "", version: 1, value: null }] })),
        () => saver.put(putReq({ checkpointId: "2", v: -1 })),
        () => saver.putWrites({ threadId: "t1", ns: "", checkpointId: "1", taskId: "", taskPath: "", writes: [] }),
        () => saver.putWrites({ threadId: "t1", ns: "", checkpointId: "1", taskId: "t", taskPath: "", writes: [w(0, "a", "x"), w(0.5, "a", "x")] }),
        () => saver.putWrites({ threadId: "t1", ns: "", checkpointId: "1", taskId: "t", taskPath: "", writes: "x" as never }),
        () => saver.getTuple({ threadId: "", ns: "" }),
        () => saver.list({ limit: -1 }),
        () => saver.list({ filter: JSON.parse(`{"__proto__":"1"}`) }),
        () => saver.deleteThread(""),
        () => saver.getDeltaChannelHistory({ threadId: "t1", ns: "", channels: ["__proto__"] }),
      ];
      for (const call of bad) await expectInvalid(call());
      expect(await backend.countRows(name)).toEqual(before);
    });

    it("keeps everything across closing and reopening the store", async () => {
      const { saver, name, stores } = await fresh();
      await saver.put(putReq({ checkpointId: "1", channelVersions: { a: 1 }, blobs: [{ channel: "a", version: 1, value: sv("v".repeat(1000)) }] }));
      await saver.putWrites({ threadId: "t1", ns: "", checkpointId: "1", taskId: "t", taskPath: "p", writes: [w(0, "a", "x")] });
      await stores.close();
      const again = await backend.open(name);
      open.push(again);
      const t = await again.saver.getTuple({ threadId: "t1", ns: "" });
      expect(t!.checkpointId).toBe("1");
      expect(values(t)).toEqual({ a: `json:${"v".repeat(1000)}` });
      expect(writes(t!.pendingWrites)).toEqual([["p", "t", 0, "a", "json:x"]]);
    });
  });
}
