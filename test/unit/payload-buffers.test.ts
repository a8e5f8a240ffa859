import { describe, expect, it } from "vitest";
// fake-indexeddb's globals: the database module opens through the global factory and key ranges.
import "fake-indexeddb/auto";
import { Database } from "../../worker/db";
import { Payloads, type PayloadRef } from "../../worker/payload/index";
import { text } from "../payload/text";

const MiB = 1024 * 1024;

async function saveAndLoad() {
  const db = new Database({ name: `owned-${Math.random()}` });
  await db.ready();
  const payloads = new Payloads({});
  const save = async (bytes: Uint8Array) => {
    const encoded = await payloads.encode(bytes);
    return db.write(["blobs"], (tx) => payloads.put(tx, encoded));
  };
  const load = (ref: PayloadRef) => db.read(["blobs"], (tx) => new Payloads({}).get(tx, ref));
  return { save, load };
}

describe("a caller's buffer", () => {
  it("stores each state as it was when saved, when the caller changes its buffer between saves", async () => {
    const { save, load } = await saveAndLoad();
    const buffer = text(MiB, 21);
    const first = buffer.slice();
    const a = await save(buffer);
    // The caller writes its next state over the same buffer: its last tenth changes.
    buffer.set(text(MiB / 10, 22), MiB - MiB / 10);
    const second = buffer.slice();
    const b = await save(buffer);
    expect(Buffer.from(await load(a)).equals(Buffer.from(first))).toBe(true);
    expect(Buffer.from(await load(b)).equals(Buffer.from(second))).toBe(true);
  });
});
