import { beforeAll, describe, expect, it, vi } from "vitest";
// fake-indexeddb's globals: the database module opens through the global factory and key ranges.
import "fake-indexeddb/auto";
import { deflateSync } from "fflate";
import { Database } from "../../worker/db";
import { INLINE_MAX, MAX_CHAIN, Payloads, type PayloadRef } from "../../worker/payload/index";
import { chunk } from "../../worker/payload/chunker";
import { DEFAULT_CHUNKS, LARGE_CHUNKS, LARGE_FROM } from "../../worker/payload/payload-options";
import { defaultRequestWindow } from "../../worker/payload/request-window";
import { isStoreError } from "../../src/errors";
import { text } from "../payload/text";

let n = 0;

/** The request window of the suite running (see the loop below). */
const suite = { window: Infinity };

/** A payload module with the suite's request window and empty caches (a cold worker). */
const fresh = (options: ConstructorParameters<typeof Payloads>[0] = {}) => new Payloads({ requestWindow: suite.window, ...options });

async function setup(options: ConstructorParameters<typeof Payloads>[0] = {}) {
  const db = new Database({ name: `payload-${++n}` });
  await db.ready();
  return { db, payloads: fresh({ ...options }) };
}

async function save(db: Database, payloads: Payloads, bytes: Uint8Array): Promise<PayloadRef> {
  const encoded = await payloads.encode(bytes);
  return db.write(["blobs"], (tx) => payloads.put(tx, encoded));
}

const load = (db: Database, payloads: Payloads, ref: PayloadRef) => db.read(["blobs"], (tx) => payloads.get(tx, ref));
const release = (db: Database, payloads: Payloads, ...refs: PayloadRef[]) =>
  db.write(["blobs"], async (tx) => {
    await Promise.all(refs.map((r) => payloads.release(tx, r)));
  });

async function rows(db: Database): Promise<Map<string, any>> {
  return db.read(["blobs"], async (tx) => {
    const store = tx.objectStore("blobs");
    const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()]);
    return new Map(keys.map((k, i) => [k as string, values[i]]));
  });
}

/** Raw bytes held by chunk rows. */
async function chunkBytes(db: Database): Promise<number> {
  let total = 0;
  for (const [k, v] of await rows(db)) if (k.startsWith("c:")) total += v.raw;
  return total;
}

const MiB = 1024 * 1024;

/**
 * Byte arrays equal, with the first differing offset in the message. toEqual walks a typed array
 * element by element through its generic equality and takes seconds per MiB.
 */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length, "length").toBe(expected.length);
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      first = i;
      break;
    }
  }
  expect(first, "first differing byte").toBe(-1);
}

async function expectCode(p: Promise<unknown>, code: "INTEGRITY" | "PAYLOAD_TOO_LARGE") {
  const e = await p.then(
    () => undefined,
    (err) => err,
  );
  expect(isStoreError(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
}

/**
 * Every spec runs twice: with each payload's chunk requests made at once (Chromium, Firefox) and
 * three at a time, in the order asked (WebKit makes 16 at a time; request-window.ts).
 */
for (const window of [Infinity, 3])
describe(window === Infinity ? "payload chunking" : `payload chunking, ${window} chunk requests at a time`, () => {
  beforeAll(() => {
    suite.window = window;
  });

  it("returns the same bytes for empty, small, boundary-sized, large and repetitive payloads", async () => {
    const { db, payloads } = await setup();
    const random = new Uint8Array(300_000);
    for (let i = 0; i < random.length; i += 65536) crypto.getRandomValues(random.subarray(i, i + 65536));
    const cases = [new Uint8Array(0), text(1), text(4096), text(4097), text(MiB), random, new Uint8Array(MiB / 2)];
    for (const bytes of cases) {
      const ref = await save(db, payloads, bytes);
      expect(ref[0]).toBe(bytes.length);
      expectBytes(await load(db, fresh(), ref), bytes);
      expectBytes(await load(db, payloads, ref), bytes);
    }
  });

  it("reads a payload's chunks at most requestWindow at a time, and all of them", async () => {
    const { db, payloads } = await setup();
    const bytes = text(3 * MiB, 5);
    const ref = await save(db, payloads, bytes);
    const chunks = [...(await rows(db)).keys()].filter((k) => k.startsWith("c:")).length;
    const requestWindow = 16;
    expect(chunks).toBeGreaterThan(requestWindow * 2);
    // Counts the chunk reads in flight: from the call of get to its answer.
    const realGet = IDBObjectStore.prototype.get;
    let inFlight = 0;
    let most = 0;
    let reads = 0;
    IDBObjectStore.prototype.get = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
      const request = realGet.call(this, key);
      if (typeof key === "string" && key.startsWith("c:")) {
        reads++;
        most = Math.max(most, ++inFlight);
        request.addEventListener("success", () => inFlight--);
        request.addEventListener("error", () => inFlight--);
      }
      return request;
    };
    try {
      expectBytes(await load(db, new Payloads({ requestWindow }), ref), bytes);
      expect([reads, most]).toEqual([chunks, requestWindow]);
      // Without a window (Chromium's and Firefox's default) every read goes out at once.
      reads = most = 0;
      expectBytes(await load(db, new Payloads({ requestWindow: Infinity }), ref), bytes);
      expect([reads, most]).toEqual([chunks, chunks]);
    } finally {
      IDBObjectStore.prototype.get = realGet;
    }
  });

  it("writes a payload's chunk rows at most requestWindow requests at a time, storing the same rows as all at once", async () => {
    const bytes = text(3 * MiB, 7);
    const requestWindow = 16;
    // Counts the blobs requests in flight (gets and puts), from the call to the answer.
    const real = { get: IDBObjectStore.prototype.get, put: IDBObjectStore.prototype.put };
    let inFlight = 0;
    let most = 0;
    const counted = <A extends unknown[]>(method: (...args: A) => IDBRequest) =>
      function (this: IDBObjectStore, ...args: A) {
        const request = method.apply(this, args);
        if (this.name === "blobs") {
          most = Math.max(most, ++inFlight);
          request.addEventListener("success", () => inFlight--);
          request.addEventListener("error", () => inFlight--);
        }
        return request;
      };
    const chunkRows = async (db: Database) => new Map([...(await rows(db))].filter(([k]) => /^[crn]:/.test(k)));
    const a = await setup({ requestWindow: Infinity });
    const b = await setup({ requestWindow });
    IDBObjectStore.prototype.get = counted(real.get) as typeof real.get;
    IDBObjectStore.prototype.put = counted(real.put) as typeof real.put;
    let mostAtOnce: number;
    let ref: PayloadRef;
    try {
      await save(a.db, a.payloads, bytes);
      mostAtOnce = most;
      most = 0;
      ref = await save(b.db, b.payloads, bytes);
    } finally {
      Object.assign(IDBObjectStore.prototype, real);
    }
    expectBytes(await load(b.db, fresh(), ref), bytes);
    // The payload's own row (its chunk list) is one request more, made after the window's.
    expect(most).toBeLessThanOrEqual(requestWindow + 1);
    expect(mostAtOnce).toBeGreaterThan(requestWindow * 4);
    const [rowsA, rowsB] = [await chunkRows(a.db), await chunkRows(b.db)];
    expect(rowsB.size).toBeGreaterThan(requestWindow * 2);
    expect([...rowsB.keys()].sort()).toEqual([...rowsA.keys()].sort());
    for (const [key, row] of rowsA) expect(rowsB.get(key), key).toEqual(row);
  });

  it("reads 16 chunks at a time in WebKit (every iOS browser too), and all at once in Chromium and Firefox", () => {
    const agents: Array<[string, number]> = [
      ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15", 16],
      ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15", 16],
      ["Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1", 16],
      ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36", Infinity],
      ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", Infinity],
      ["Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0", Infinity],
    ];
    try {
      for (const [userAgent, window] of agents) {
        vi.stubGlobal("navigator", { userAgent });
        expect(defaultRequestWindow(), userAgent).toBe(window);
      }
      vi.stubGlobal("navigator", undefined);
      expect(defaultRequestWindow()).toBe(Infinity);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("keeps a payload stored in up to INLINE_MAX bytes in its reference, with no row, and checks it on read", async () => {
    const { db, payloads } = await setup();
    // Raw (too short to deflate) and deflated: both travel in the reference.
    for (const bytes of [text(40), text(1500)]) {
      const ref = await save(db, payloads, bytes);
      expect((await rows(db)).size).toBe(0);
      const [size, crc, inline] = ref;
      expect(inline).toBeInstanceOf(Uint8Array);
      expect((inline as Uint8Array).length).toBeLessThanOrEqual(INLINE_MAX);
      expectBytes(await load(db, fresh(), ref), bytes);
      await release(db, payloads, ref);
      const flipped = (inline as Uint8Array).slice();
      flipped[3] ^= 1;
      const codec = ref.slice(3) as [1?];
      await expectCode(load(db, payloads, [size, crc, flipped, ...codec]), "INTEGRITY");
      await expectCode(load(db, payloads, [size, crc, flipped.subarray(1), ...codec]), "INTEGRITY");
      await expectCode(load(db, payloads, [size + 1, crc, inline, ...codec]), "INTEGRITY");
    }
    // Incompressible bytes one past the limit get a row of their own.
    const noise = crypto.getRandomValues(new Uint8Array(INLINE_MAX + 1));
    const ref = await save(db, payloads, noise);
    expect(typeof ref[2]).toBe("string");
    expect((await rows(db)).size).toBe(1);
    expectBytes(await load(db, payloads, ref), noise);
  });

  it("cuts a state of LARGE_FROM bytes or more into larger chunks, and reads back one that grew across that size", async () => {
    const { db, payloads } = await setup();
    const countChunks = async () => [...(await rows(db)).keys()].filter((k) => k.startsWith("c:")).length;
    const small = text(LARGE_FROM - 1, 40);
    const ref1 = await save(db, payloads, small);
    const smallChunks = await countChunks();
    expect(smallChunks).toBeGreaterThan((LARGE_FROM / DEFAULT_CHUNKS.avg) * 0.7);
    // The same bytes and 2 more: past the threshold, chunked anew with the larger sizes.
    const large = new Uint8Array([...small, 1, 2]);
    const ref2 = await save(db, payloads, large);
    const largeChunks = (await countChunks()) - smallChunks;
    expect(largeChunks).toBeGreaterThan(0);
    expect(largeChunks).toBeLessThan((large.length / LARGE_CHUNKS.avg) * 1.5);
    expectBytes(await load(db, fresh(), ref1), small);
    expectBytes(await load(db, fresh(), ref2), large);
    // Releasing both frees every chunk, of either size.
    await release(db, payloads, ref1, ref2);
    expect(await countChunks()).toBe(0);
  });

  it("keeps a payload of up to one chunk as a single row", async () => {
    const { db, payloads } = await setup();
    await save(db, payloads, text(payloads.chunkParams.min));
    expect([...(await rows(db)).keys()].filter((k) => !k.startsWith("c:") && !k.startsWith("r:"))).toHaveLength(1);
    expect(await rows(db)).toHaveProperty("size", 1);
  });

  it("stores about 10% new when the last 10% of a 1 MiB state changed", async () => {
    const { db, payloads } = await setup();
    const v1 = text(MiB, 1);
    await save(db, payloads, v1);
    const before = await chunkBytes(db);
    expect(before).toBe(MiB);
    const v2 = v1.slice();
    v2.set(text(MiB / 10, 2), MiB - MiB / 10);
    const ref2 = await save(db, payloads, v2);
    const added = (await chunkBytes(db)) - before;
    expect(added).toBeGreaterThanOrEqual(MiB / 10);
    // The chunk the edit starts in is stored again whole: 32 KiB on average at this size.
    expect(added).toBeLessThan(MiB / 10 + 2 * LARGE_CHUNKS.avg);
    expectBytes(await load(db, fresh(), ref2), v2);
  });

  it("shares every chunk but the ones around an edit in the middle", async () => {
    const { db, payloads } = await setup();
    const v1 = text(MiB, 3);
    await save(db, payloads, v1);
    const before = await chunkBytes(db);
    // An insertion shifts everything after it: chunk boundaries must follow the content.
    const v2 = new Uint8Array(MiB + 100);
    v2.set(v1.subarray(0, MiB / 2));
    v2.set(text(100, 4), MiB / 2);
    v2.set(v1.subarray(MiB / 2), MiB / 2 + 100);
    const ref2 = await save(db, payloads, v2);
    const added = (await chunkBytes(db)) - before;
    expect(added).toBeLessThan(40 * 1024);
    expectBytes(await load(db, fresh(), ref2), v2);
  });

  it("frees exactly the chunks no payload refers to, down to zero rows", async () => {
    const { db, payloads } = await setup();
    const v1 = text(MiB / 2, 5);
    const v2 = v1.slice();
    v2.set(text(20_000, 6), 100_000);
    const v3 = new Uint8Array([...v2, ...text(30_000, 7)]);
    const [r1, r2, r3, r1again] = [
      await save(db, payloads, v1),
      await save(db, payloads, v2),
      await save(db, payloads, v3),
      await save(db, payloads, v1),
    ];
    const full = (await rows(db)).size;
    await release(db, payloads, r1);
    // v1 is still stored once more: nothing of its chunks may go.
    expect((await rows(db)).size).toBe(full - 1);
    for (const [ref, bytes] of [[r1again, v1], [r2, v2], [r3, v3]] as const) expectBytes(await load(db, fresh(), ref), bytes);
    await release(db, payloads, r2);
    expectBytes(await load(db, fresh(), r3), v3);
    expectBytes(await load(db, fresh(), r1again), v1);
    // Two releases of payloads sharing chunks, in parallel in one transaction.
    await release(db, payloads, r3, r1again);
    expect((await rows(db)).size).toBe(0);
  });

  it("counts a chunk that repeats inside one payload once per occurrence", async () => {
    const { db, payloads } = await setup();
    const zeros = new Uint8Array(MiB);
    const [a, b] = [await save(db, payloads, zeros), await save(db, payloads, zeros)];
    await release(db, payloads, a);
    expectBytes(await load(db, fresh(), b), zeros);
    await release(db, payloads, b);
    expect((await rows(db)).size).toBe(0);
  });

  it("keeps two different chunks apart when they share a content name", async () => {
    const { db, payloads } = await setup();
    const bytes = text(100_000, 8);
    const name = chunk(bytes, payloads.chunkParams)[0].name;
    // Another chunk already stored under that name: same name, other length and CRC.
    await db.write(["blobs"], async (tx) => {
      const other = text(5000, 9);
      await tx.objectStore("blobs").put({ codec: 0, raw: other.length, crc: 1, data: other }, `c:${name}`);
      await tx.objectStore("blobs").put({ refs: 1, raw: other.length, crc: 1 }, `r:${name}`);
    });
    const ref = await save(db, payloads, bytes);
    expectBytes(await load(db, fresh(), ref), bytes);
    expect((await rows(db)).has(`c:${name}~1`)).toBe(true);
    await release(db, payloads, ref);
    expect([...(await rows(db)).keys()].sort()).toEqual([`c:${name}`, `r:${name}`]);
  });

  it("stores a chunk again, compressed, when the worker wrongly believed it stored", async () => {
    const { db, payloads } = await setup();
    const bytes = text(200_000, 10);
    await release(db, payloads, await save(db, payloads, bytes));
    // Another tab could have freed the chunks too; this worker still knows their names.
    const ref = await save(db, payloads, bytes);
    expectBytes(await load(db, fresh(), ref), bytes);
    const chunkRows = [...(await rows(db))].filter(([k]) => k.startsWith("c:")).map(([, v]) => v);
    expect(chunkRows.length).toBeGreaterThan(0);
    expect(chunkRows.every((v) => v.codec !== 0)).toBe(true);
  });

  it("rejects with INTEGRITY when a stored chunk was altered", async () => {
    const { db, payloads } = await setup();
    const bytes = text(200_000, 11);
    const ref = await save(db, payloads, bytes);
    const key = [...(await rows(db)).keys()].find((k) => k.startsWith("c:"))!;
    await db.write(["blobs"], async (tx) => {
      const row = (await tx.objectStore("blobs").get(key)) as { data: Uint8Array };
      row.data[Math.floor(row.data.length / 2)] ^= 0x55;
      await tx.objectStore("blobs").put(row, key);
    });
    await expectCode(load(db, fresh(), ref), "INTEGRITY");
  });

  it("deflates small state with the preset dictionary (codec 2) and still reads deflate without it (codec 1)", async () => {
    const { db, payloads } = await setup();
    const header = new TextEncoder().encode(
      '{"v":4,"ts":"2026-11-23T08:38:37.491Z","versions_seen":{"__input__":{},"__start__":{"__start__":"0000000277.wf3cw6wo"},"agent":{"branch:to:agent":"0000000278.x558rd82"}}}',
    );
    const ref = await save(db, payloads, header);
    expect(ref[3]).toBe(2);
    expect((ref[2] as Uint8Array).length).toBeLessThan(deflateSync(header, { level: 6 }).length * 0.6);
    expectBytes(await load(db, fresh(), ref), header);
    // Codec 1, as the first layout wrote it: inline, and as a row.
    const plain = deflateSync(header, { level: 6 });
    expectBytes(await load(db, payloads, [header.length, ref[1], plain, 1]), header);
    await db.write(["blobs"], (tx) => tx.objectStore("blobs").put({ codec: 1, raw: header.length, crc: ref[1], data: plain }, "old"));
    expectBytes(await load(db, fresh(), [header.length, ref[1], "old"]), header);
    // Read with the wrong codec, the bytes fail their checksum or do not inflate.
    await expectCode(load(db, payloads, [header.length, ref[1], ref[2], 1]), "INTEGRITY");
  });

  it("reads references of the first layout ({id, size, crc} objects) and rejects malformed ones with INTEGRITY", async () => {
    const { db, payloads } = await setup();
    const bytes = text(5000, 3);
    const [size, crc, id] = await save(db, payloads, bytes);
    const legacy = { id, size, crc } as unknown as PayloadRef;
    expectBytes(await load(db, fresh(), legacy), bytes);
    for (const bad of [[size, crc], [size, crc, 7], [-1, crc, id], [size, crc, id, 3], { size }, null]) {
      await expectCode(load(db, payloads, bad as unknown as PayloadRef), "INTEGRITY");
    }
  });

  it("rejects with INTEGRITY when a chunk is missing or the chunk list was reordered or altered", async () => {
    const { db, payloads } = await setup();
    const bytes = text(200_000, 12);
    const ref = await save(db, payloads, bytes);
    const all = await rows(db);
    const id = ref[2] as string;
    const manifest = all.get(id);
    expect(manifest.level).toBeGreaterThan(0);
    await db.write(["blobs"], (tx) => tx.objectStore("blobs").put({ ...manifest, kids: [...manifest.kids].reverse() }, id));
    await expectCode(load(db, fresh(), ref), "INTEGRITY");
    await db.write(["blobs"], (tx) => tx.objectStore("blobs").put(manifest, id));
    // A node whose entries were swapped.
    const nodeKey = [...all.keys()].find((k) => k.startsWith("n:"))!;
    const node = all.get(nodeKey);
    await db.write(["blobs"], (tx) => tx.objectStore("blobs").put({ ...node, kids: [...node.kids].reverse() }, nodeKey));
    await expectCode(load(db, fresh(), ref), "INTEGRITY");
    await db.write(["blobs"], (tx) => tx.objectStore("blobs").put(node, nodeKey));
    expectBytes(await load(db, fresh(), ref), bytes);
    const chunkKey = [...all.keys()].find((k) => k.startsWith("c:"))!;
    await db.write(["blobs"], (tx) => tx.objectStore("blobs").delete(chunkKey));
    await expectCode(load(db, fresh(), ref), "INTEGRITY");
  });

  it("rejects a decompression bomb without inflating it", async () => {
    const { db, payloads } = await setup({ maxBytes: 2 * MiB });
    const ref = await save(db, payloads, text(200_000, 13));
    const all = await rows(db);
    // A chunk whose stream inflates to 64 MiB while its rows say a few KiB: cut off, then INTEGRITY.
    const chunkKey = [...all.keys()].find((k) => k.startsWith("c:"))!;
    const { raw, crc } = all.get(chunkKey);
    const bomb = deflateSync(new Uint8Array(64 * MiB));
    await db.write(["blobs"], (tx) => tx.objectStore("blobs").put({ codec: 1, raw, crc, data: bomb }, chunkKey));
    await expectCode(load(db, fresh({ maxBytes: 2 * MiB }), ref), "INTEGRITY");
    // A payload that claims more than the limit is refused before anything is allocated.
    const huge = { raw: 1 << 30, crc, level: 0, kids: [[chunkKey.slice(2), 1 << 30, crc]] };
    await db.write(["blobs"], (tx) => tx.objectStore("blobs").put(huge, ref[2] as string));
    await expectCode(load(db, payloads, [1 << 30, crc, ref[2]]), "PAYLOAD_TOO_LARGE");
  });

  it("stores a few list nodes per version of a growing state, not the whole chunk list", async () => {
    const { db, payloads } = await setup();
    let state = text(MiB / 2, 14);
    const refs = [await save(db, payloads, state)];
    const listRows = async () => [...(await rows(db)).keys()].filter((k) => !k.startsWith("c:") && !k.startsWith("r:")).length;
    const before = await listRows();
    for (let i = 0; i < 10; i++) {
      state = new Uint8Array([...state, ...text(1500, 100 + i)]);
      refs.push(await save(db, payloads, state));
    }
    // Per version: its own row plus the nodes on the path to the changed end (3 levels here).
    expect(((await listRows()) - before) / 10).toBeLessThanOrEqual(4);
    expectBytes(await load(db, fresh(), refs[10]), state);
    await release(db, payloads, ...refs);
    expect((await rows(db)).size).toBe(0);
  });

  it("stores about what was appended when a state grows by small appends, not its last chunk again", async () => {
    const { db, payloads } = await setup();
    let state = text(40_000, 20);
    const refs = [await save(db, payloads, state)];
    const dataBytes = async () => {
      let total = 0;
      for (const [k, v] of await rows(db)) if (k.startsWith("c:")) total += v.data.length;
      return total;
    };
    const before = await dataBytes();
    let appended = 0;
    for (let i = 0; i < 40; i++) {
      const more = text(600, 200 + i);
      appended += more.length;
      state = new Uint8Array([...state, ...more]);
      refs.push(await save(db, payloads, state));
    }
    const deltas = [...(await rows(db)).values()].filter((v) => Array.isArray(v.base)).length;
    // Without deltas each version rewrites its last chunk: about avg/2 = 4 KiB a version here.
    expect(deltas).toBeGreaterThan(20);
    expect((await dataBytes()) - before).toBeLessThan(appended);
    // Read back through a fresh worker's payloads (no cache), newest and oldest.
    expectBytes(await load(db, fresh(), refs[40]), state);
    expectBytes(await load(db, fresh(), refs[1]), await load(db, payloads, refs[1]));
  });

  it("keeps a delta's base while the delta is stored, and frees the chain to zero rows", async () => {
    const { db, payloads } = await setup();
    let state = text(30_000, 21);
    const versions: Uint8Array[] = [];
    const refs: PayloadRef[] = [];
    for (let i = 0; i < 12; i++) {
      state = new Uint8Array([...state, ...text(700, 300 + i)]);
      versions.push(state);
      refs.push(await save(db, payloads, state));
    }
    // Free every version but the newest, oldest first: the bases the newest needs must stay.
    for (let i = 0; i < 11; i++) await release(db, payloads, refs[i]);
    expectBytes(await load(db, fresh(), refs[11]), versions[11]);
    await release(db, payloads, refs[11]);
    expect((await rows(db)).size).toBe(0);
  });

  it("writes a freed base again when a delta needs it, and never chains deeper than the limit", async () => {
    const { db, payloads } = await setup();
    let state = text(20_000, 22);
    await release(db, payloads, await save(db, payloads, state));
    const refs: PayloadRef[] = [];
    for (let i = 0; i < 30; i++) {
      state = new Uint8Array([...state, ...text(300, 400 + i)]);
      refs.push(await save(db, payloads, state));
    }
    const depths = [...(await rows(db))].filter(([k]) => k.startsWith("r:")).map(([, v]) => v.depth ?? 0);
    expect(Math.max(...depths)).toBeLessThanOrEqual(MAX_CHAIN);
    expect(Math.max(...depths)).toBeGreaterThan(1);
    expectBytes(await load(db, fresh(), refs[29]), state);
  });

  it("rejects with INTEGRITY when a delta's base is altered or the bases form a cycle", async () => {
    const { db, payloads } = await setup();
    let state = text(30_000, 23);
    let ref = await save(db, payloads, state);
    for (let i = 0; i < 3; i++) {
      state = new Uint8Array([...state, ...text(800, 500 + i)]);
      ref = await save(db, payloads, state);
    }
    const all = await rows(db);
    const [deltaKey, delta] = [...all].find(([k, v]) => k.startsWith("c:") && Array.isArray(v.base))!;
    const baseKey = `c:${delta.base[0]}`;
    const base = all.get(baseKey);
    await db.write(["blobs"], async (tx) => {
      const altered = { ...base, data: base.data.slice() };
      altered.data[3] ^= 0x20;
      await tx.objectStore("blobs").put(altered, baseKey);
    });
    await expectCode(load(db, fresh(), ref), "INTEGRITY");
    await db.write(["blobs"], async (tx) => {
      await tx.objectStore("blobs").put(base, baseKey);
      // The delta names itself as its base.
      await tx.objectStore("blobs").put({ ...delta, base: [deltaKey.slice(2), delta.raw, delta.crc] }, deltaKey);
    });
    await expectCode(load(db, fresh(), ref), "INTEGRITY");
  });

  it("chunks a new version exactly as from scratch when it resumes after the prefix it shares with a recent one", async () => {
    const payloads = fresh();
    const leaves = (e: Awaited<ReturnType<Payloads["encode"]>>) => {
      const out: string[] = [];
      const walk = (entries: Array<{ name: string; kids?: unknown[] }>) => entries.forEach((x) => (x.kids ? walk(x.kids as never) : out.push(x.name)));
      walk(e.tree!.kids);
      return out;
    };
    let state = text(300_000, 30);
    await payloads.encode(state);
    const edits: Array<(s: Uint8Array) => Uint8Array> = [
      (s) => new Uint8Array([...s, ...text(5000, 31)]), // append
      (s) => s.subarray(0, s.length - 20_000), // truncate: the old end chunk is not reused
      (s) => {
        const v = s.slice();
        v.set(text(3000, 32), 150_000); // edit in the middle
        return v;
      },
      (s) => new Uint8Array([...s.subarray(0, 100_000), ...text(10, 33), ...s.subarray(100_000)]), // insert
      (s) => s.subarray(0, 50_001), // cut inside a chunk
    ];
    for (const edit of edits) {
      state = edit(state);
      const encoded = await payloads.encode(state);
      expect(leaves(encoded)).toEqual(chunk(state, payloads.chunkParamsFor(state.length)).map((c) => c.name));
    }
  });

  it("refuses to encode a payload over the limit", async () => {
    const { payloads } = await setup({ maxBytes: 1000 });
    await expectCode(payloads.encode(new Uint8Array(1001)), "PAYLOAD_TOO_LARGE");
  });
});
