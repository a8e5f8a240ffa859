import { describe, it, expect } from "vitest";
import { openStore, isStoreError } from "../../src/index";
import { countRowsWith, uniqueName } from "../conformance/backend";
import { printFigures } from "../reliability/figures";
import { rawOpen, rawKeys, rawGet, rawPut, keyId, largestSlot, rowsWithBytes } from "../reliability/raw-idb";

/**
 * Hostile payloads: sizes past the cap are refused on write, a stored payload that would inflate
 * past the cap is refused on read without inflating it, a 1 GiB decompression bomb planted in a
 * row with raw IndexedDB is caught without inflating it, and values that cannot be cloned get
 * INVALID_ARGUMENT before any transaction.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

const rows = (name: string) => countRowsWith(indexedDB, name);

async function typedError(p: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await p.then(
    () => "resolved",
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

/** Keys of the `blobs` rows a save added. */
async function savedRows(raw: IDBDatabase, save: () => Promise<unknown>): Promise<IDBValidKey[]> {
  const before = new Set((await rawKeys(raw, "blobs")).map(keyId));
  await save();
  return (await rawKeys(raw, "blobs")).filter((k) => !before.has(keyId(k)));
}

/** A raw DEFLATE stream of `size` zero bytes, made by the browser's own compressor. */
async function deflateRawZeros(size: number): Promise<Uint8Array> {
  const block = new Uint8Array(MiB);
  let left = size;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      controller.enqueue(block);
      left -= block.length;
    },
  });
  return new Uint8Array(await new Response(source.pipeThrough(new CompressionStream("deflate-raw") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)).arrayBuffer());
}

describe("hostile payloads", () => {
  it("refuses a payload over the cap on write with PAYLOAD_TOO_LARGE and writes nothing", async () => {
    const name = uniqueName("rel-hostile");
    const store = await openStore({ name, maxPayloadBytes: 256 * KiB });
    try {
      await store.threads.save("t", {}, new Uint8Array(256 * KiB));
      const before = await rows(name);
      const { error } = await typedError(store.threads.save("t", {}, new Uint8Array(256 * KiB + 1)));
      expect(isStoreError(error, "PAYLOAD_TOO_LARGE")).toBe(true);
      expect(await rows(name)).toEqual(before);
      expect(await store.threads.count("t")).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("refuses a stored payload that inflates past the cap with PAYLOAD_TOO_LARGE before inflating it", async () => {
    const name = uniqueName("rel-bomb");
    // 32 MiB of zeros compresses about a thousandfold: a decompression bomb made by the library itself.
    const writer = await openStore({ name, maxPayloadBytes: 64 * MiB });
    const id = await writer.threads.save("t", {}, new Uint8Array(32 * MiB));
    const small = await writer.threads.save("t", {}, new Uint8Array(1000).fill(7));
    await writer.close();
    const reader = await openStore({ name, maxPayloadBytes: 1 * MiB, timeoutMs: 10_000 });
    try {
      const { error, ms } = await typedError(reader.threads.load("t", id));
      printFigures("decompression bomb (stored past the cap)", { inflatesTo: 32 * MiB, cap: 1 * MiB, rejectedMs: Math.round(ms), code: (error as { code?: string }).code ?? String(error) });
      expect(isStoreError(error, "PAYLOAD_TOO_LARGE")).toBe(true);
      expect(ms).toBeLessThan(1_000);
      // The worker is unharmed: other records still read.
      expect((await reader.threads.load("t", small)).state[999]).toBe(7);
    } finally {
      await reader.close();
    }
  });

  it("catches a 1 GiB decompression bomb planted in a small record's row with a typed error, in bounded time", async () => {
    const name = uniqueName("rel-plant");
    const store = await openStore({ name, timeoutMs: 20_000 });
    const raw = await rawOpen(name);
    try {
      let smallId = "";
      const rowsOfSmall = await savedRows(raw, async () => (smallId = await store.threads.save("t", {}, new Uint8Array(3001).fill(1))));
      const bomb = await deflateRawZeros(1024 * MiB);
      // Planted where the record's bytes are: its own row, or its chunk if it was chunked.
      const key = (await rowsWithBytes(raw, "blobs", rowsOfSmall))[0];
      const box = { row: await rawGet(raw, "blobs", key) };
      largestSlot(box).set(bomb);
      await rawPut(raw, "blobs", [[key, box.row]]);
      // A fresh worker, so the read meets the planted row rather than a cached copy.
      await store.close();
      const reader = await openStore({ name, timeoutMs: 20_000 });
      const { error, ms } = await typedError(reader.threads.load("t", smallId));
      printFigures("decompression bomb (planted)", { inflatesTo: 1024 * MiB, plantedBytes: bomb.length, rejectedMs: Math.round(ms), code: (error as { code?: string }).code ?? String(error) });
      expect(isStoreError(error, "INTEGRITY") || isStoreError(error, "PAYLOAD_TOO_LARGE")).toBe(true);
      expect(ms).toBeLessThan(5_000);
      // The worker survived it.
      expect(await reader.threads.count("t")).toBe(1);
      await reader.close();
    } finally {
      raw.close();
      await store.close();
    }
  });

  it("rejects functions, symbols and proxies with INVALID_ARGUMENT before any transaction", async () => {
    const name = uniqueName("rel-clone");
    const store = await openStore({ name });
    try {
      await store.threads.save("t", {}, new Uint8Array(8));
      const before = await rows(name);
      const bytes = new Uint8Array(8);
      const hostile: Array<[string, () => Promise<unknown>]> = [
        ["function in metadata", () => store.threads.save("t", { f: () => 1 } as never, bytes)],
        ["symbol in metadata", () => store.threads.save("t", { s: Symbol("x") } as never, bytes)],
        ["proxy as metadata", () => store.threads.save("t", new Proxy({ a: 1 }, {}), bytes)],
        ["proxy as state", () => store.threads.save("t", {}, new Proxy(bytes, {}))],
        ["function as thread id", () => store.threads.save((() => "t") as never, {}, bytes)],
        ["symbol as thread id", () => store.threads.save(Symbol("t") as never, {}, bytes)],
        ["proxy as run event", () => store.runs.appendEvent(new Proxy({ runId: "r", kind: "k" }, {}))],
        ["function in event envelope", () => store.events.append("t", 0, { f: () => 1 } as never)],
        ["symbol as blob graph hash", () => store.blobs.save("c", "tr", Symbol("h") as never, bytes)],
      ];
      let invalidArgument = 0;
      for (const [label, call] of hostile) {
        const { error } = await typedError(call());
        if (isStoreError(error, "INVALID_ARGUMENT")) invalidArgument++;
        else expect.fail(`${label}: ${String(error)}`);
      }
      printFigures("uncloneable values", { calls: hostile.length, invalidArgument });
      expect(await rows(name)).toEqual(before);
    } finally {
      await store.close();
    }
  });
});
