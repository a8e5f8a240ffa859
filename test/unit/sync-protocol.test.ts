import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import { DeltaBook, ProtocolError, decodeEnvelope, encodeEnvelope } from "../../src/sync/protocol";
import { checkPullRequest, checkPushRequest } from "../../src/sync/wire-check";
import { gunzip, gzip } from "../../src/sync/gzip";
import { openEngine, type Engine } from "../../worker/index";
import { uniqueName } from "../conformance/backend";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("sync envelope", () => {
  it("round-trips JSON with byte arrays, keeping each array's bytes", () => {
    const message = { protocol: 1, changes: [{ kind: "tombstone", threadId: "t" }], data: [bytes("abc"), new Uint8Array(0), bytes("é")] };
    expect(decodeEnvelope(encodeEnvelope(message))).toEqual(message);
  });

  it("rejects a wrong magic, a header running past the end, bad JSON, forbidden keys and byte references out of range", () => {
    const good = encodeEnvelope({ a: bytes("xy") });
    expect(() => decodeEnvelope(bytes("nope, not this"))).toThrow(ProtocolError);
    expect(() => decodeEnvelope(good.subarray(0, 10))).toThrow(/past the end/);
    const raw = (json: string, tail = new Uint8Array(0)) => {
      const h = bytes(json);
      const out = new Uint8Array(9 + h.length + tail.length);
      out.set([0x49, 0x44, 0x42, 0x53, 0x01]);
      new DataView(out.buffer).setUint32(5, h.length);
      out.set(h, 9);
      out.set(tail, 9 + h.length);
      return out;
    };
    expect(() => decodeEnvelope(raw("{oops"))).toThrow(/not JSON/);
    expect(() => decodeEnvelope(raw('{"a":{"__proto__":1}}'))).toThrow(/forbidden key/);
    // Channel names of LangGraph states: ordinary own keys.
    for (const key of ["constructor", "prototype"]) expect(decodeEnvelope(raw(`{"a":{"${key}":1}}`))).toEqual({ a: { [key]: 1 } });
    expect(() => decodeEnvelope(raw('{"a":{"$b":[0,5]}}', bytes("abc")))).toThrow(/past the end/);
    expect(() => decodeEnvelope(raw('{"a":{"$b":[0,-1]}}'))).toThrow(/bad byte reference/);
    expect(() => decodeEnvelope(raw('{"a":{"$b":[0,1],"x":1}}', bytes("a")))).toThrow(/bad byte reference/);
  });

  it("refuses pushes and pulls of the wrong shape, naming the field", () => {
    expect(() => checkPushRequest({ protocol: 2, changes: [] })).toThrow(/protocol/);
    expect(() => checkPushRequest({ protocol: 1, changes: [{ kind: "tombstone", threadId: 5 }] })).toThrow(/threadId/);
    expect(() => checkPushRequest({ protocol: 1, changes: [{ kind: "drop", threadId: "t" }] })).toThrow(/kind/);
    expect(() => checkPushRequest({ protocol: 1, changes: [], more: true })).toThrow(/unknown field "more"/);
    expect(() => checkPullRequest({ protocol: 1, limit: 0 })).toThrow(/limit/);
    expect(checkPullRequest({ protocol: 1, cursor: "7", threads: ["a"] })).toMatchObject({ cursor: "7" });
  });
});

describe("sync deltas and gzip", () => {
  it("sends a grown value as the earlier value's length plus its tail, and rebuilds it", () => {
    const out = new DeltaBook();
    const into = new DeltaBook();
    const first = bytes(`[${"x".repeat(500)}]`);
    const second = bytes(`[${"x".repeat(500)},"new"]`);
    const b1 = out.encode("t", "", "messages", "1", ["json", first]);
    const b2 = out.encode("t", "", "messages", "2", ["json", second]);
    expect(b1.base).toBeUndefined();
    expect(b2).toMatchObject({ base: "1", keep: 501 });
    expect(b2.value![1].length).toBe(second.length - 501);
    expect(into.decode("t", "", b1)).toEqual(["json", first]);
    expect(into.decode("t", "", b2)).toEqual(["json", second]);
    expect(() => new DeltaBook().decode("t", "", b2)).toThrow(/base/);
  });

  it("inflates at most the limit it is given", async () => {
    const zipped = await gzip(new Uint8Array(1024 * 1024));
    expect((await gunzip(zipped, 2 * 1024 * 1024)).length).toBe(1024 * 1024);
    await expect(gunzip(zipped, 1000)).rejects.toMatchObject({ tooLarge: true });
    await expect(gunzip(bytes("plain"), 1000)).rejects.toThrow(/gzip/);
  });
});

describe("the saver's change log", () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });
  const put = (e: Engine, id: string) =>
    e.saver.put({ threadId: "t", ns: "", checkpointId: id, v: 4, checkpoint: ["json", bytes("{}")], metadata: ["json", bytes("{}")], metadataIndex: {}, channelVersions: {}, blobs: [] });

  it("logs nothing until sync is enabled, then every local write, and no write applied from a server", async () => {
    const e = await openEngine({ name: uniqueName("log"), indexedDB });
    engines.push(e);
    await put(e, "a");
    expect(await e.sync.pendingCount(0)).toBe(0);
    await e.sync.enable();
    await put(e, "b");
    await e.saver.putWrites({ threadId: "t", ns: "", checkpointId: "b", taskId: "k", taskPath: "", writes: [{ idx: 0, channel: "c", value: ["json", bytes("1")] }] });
    await e.sync.put({ threadId: "t", ns: "", checkpointId: "c", v: 4, checkpoint: ["json", bytes("{}")], metadata: ["json", bytes("{}")], metadataIndex: {}, channelVersions: {}, blobs: [] });
    await e.saver.deleteThread("gone");
    const batch = await e.sync.exportChanges({ after: 0, maxChanges: 10, maxBytes: 1e6 });
    // The write rides with its checkpoint, which the same batch carries.
    expect(batch.changes.map((c) => [c.kind, "checkpointId" in c ? c.checkpointId : c.threadId])).toEqual([
      ["checkpoint", "b"],
      ["tombstone", "gone"],
    ]);
    expect(batch.changes[0]).toMatchObject({ writes: [{ taskId: "k", idx: 0, channel: "c" }] });
    expect(batch).toMatchObject({ last: 3, more: false });
  });

  it("numbers changes after trimming past the last acknowledged one, never reusing a number", async () => {
    const e = await openEngine({ name: uniqueName("log"), indexedDB });
    engines.push(e);
    await e.sync.enable();
    await put(e, "a");
    await put(e, "b");
    await e.sync.trim(2);
    await put(e, "c");
    const batch = await e.sync.exportChanges({ after: 2, maxChanges: 10, maxBytes: 1e6 });
    expect(batch.changes.map((c) => ("checkpointId" in c ? c.checkpointId : ""))).toEqual(["c"]);
    expect(batch.last).toBe(3);
    expect(await e.sync.pendingCount(2)).toBe(1);
  });
});
