import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import { LIMITS, MEDIA_TYPE, PROTOCOL_VERSION, decodeEnvelope, encodeEnvelope, type WireCheckpoint } from "../../src/sync/protocol";
import { startPostgres, type Postgres } from "../sync-kit/postgres";
import { startSyncServer, type SyncServer } from "../sync-kit/server";

/**
 * The server refuses what it must, over real HTTP and a real PostgreSQL: callers without a
 * valid token (401), another user's threads (403), and broken or hostile bodies (400, 413),
 * with nothing written and the server still serving afterwards.
 */

let pg: Postgres;
let server: SyncServer;

beforeAll(async () => {
  pg = await startPostgres();
  server = await startSyncServer(pg.url);
});

afterAll(async () => {
  await server?.close();
  pg?.destroy();
});

const serde = new JsonPlusSerializer();
let counter = 0;

async function change(threadId: string): Promise<WireCheckpoint> {
  const id = `1f000000-0000-6000-8000-${String(++counter).padStart(12, "0")}`;
  return {
    kind: "checkpoint",
    threadId,
    ns: "",
    checkpointId: id,
    v: 4,
    checkpoint: await serde.dumpsTyped({ v: 4, ts: new Date().toISOString(), versions_seen: {} }),
    metadata: await serde.dumpsTyped({ source: "input", step: -1, parents: {} }),
    channelVersions: { messages: "0000000001.aaaaaaaa" },
    blobs: [{ channel: "messages", version: "0000000001.aaaaaaaa", value: await serde.dumpsTyped(["hello"]) }],
    writes: [],
  };
}

function post(route: "push" | "pull", body: Uint8Array | string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/${route}`, {
    method: "POST",
    headers: { "content-type": MEDIA_TYPE, "content-encoding": "gzip", authorization: "Bearer token-alice", ...headers },
    body: body as Uint8Array<ArrayBuffer>,
  });
}

const zipped = (message: unknown) => gzipSync(encodeEnvelope(message));

/** An envelope around a header given as text, so it can be anything. */
function rawEnvelope(header: string): Uint8Array {
  const json = Buffer.from(header);
  const out = Buffer.alloc(9 + json.length);
  out.set([0x49, 0x44, 0x42, 0x53, 0x01]);
  out.writeUInt32BE(json.length, 5);
  json.copy(out, 9);
  return gzipSync(out);
}

async function rows(): Promise<number> {
  const { rows } = await server.pool.query(
    "SELECT (SELECT count(*) FROM checkpoints) + (SELECT count(*) FROM checkpoint_blobs) + (SELECT count(*) FROM checkpoint_writes) AS n",
  );
  return Number(rows[0].n);
}

async function expectRefused(response: Promise<Response>, status: number, before: number): Promise<void> {
  const r = await response;
  const { error } = (await r.json()) as { error: string };
  expect(`${r.status} ${error}`).toMatch(new RegExp(`^${status} .+`));
  expect(await rows()).toBe(before);
}

describe("sync server refusals (PostgresSaver)", () => {
  it("stores a valid push, once however often it is sent", async () => {
    const before = await rows();
    const c = await change("alice-ok");
    for (let i = 0; i < 3; i++) expect((await post("push", zipped({ protocol: PROTOCOL_VERSION, changes: [c] }))).status).toBe(200);
    expect(await rows()).toBe(before + 2);
  });

  it("answers 401 without a token or with a wrong one, and 403 for another user's thread, writing nothing", async () => {
    const before = await rows();
    const body = zipped({ protocol: PROTOCOL_VERSION, changes: [await change("alice-private")] });
    await expectRefused(post("push", body, { authorization: "" }), 401, before);
    await expectRefused(post("push", body, { authorization: "Bearer token-mallory" }), 401, before);
    await expectRefused(post("push", body, { authorization: "Bearer token-bob" }), 403, before);
    await expectRefused(post("pull", zipped({ protocol: PROTOCOL_VERSION, threads: ["alice-ok"] }), { authorization: "Bearer token-bob" }), 403, before);
    // Without naming threads, bob reads only his own: none of alice's.
    const r = await post("pull", zipped({ protocol: PROTOCOL_VERSION }), { authorization: "Bearer token-bob" });
    expect(r.status).toBe(200);
    const pulled = decodeEnvelope(new Uint8Array(await r.arrayBuffer())) as { changes: unknown[] };
    expect(pulled.changes).toEqual([]);
  });

  it("answers 400 to bad JSON, wrong types, __proto__ keys, broken gzip and a push that mixes in one bad change, writing nothing", async () => {
    const before = await rows();
    const good = await change("alice-batch");
    await expectRefused(post("push", rawEnvelope("{not json")), 400, before);
    await expectRefused(post("push", gzipSync(Buffer.from("just text"))), 400, before);
    await expectRefused(post("push", rawEnvelope(JSON.stringify({ protocol: 1, changes: [{ ...good, checkpoint: undefined, threadId: 5 }] }))), 400, before);
    await expectRefused(post("push", rawEnvelope('{"protocol":1,"changes":[],"__proto__":{"polluted":true}}')), 400, before);
    await expectRefused(post("push", rawEnvelope('{"protocol":1,"changes":[{"kind":"tombstone","threadId":"alice-ok","constructor":{"prototype":{}}}]}')), 400, before);
    await expectRefused(post("push", Buffer.from("not gzip at all")), 400, before);
    await expectRefused(post("push", rawEnvelope('{"protocol":1,"changes":[{"kind":"tombstone","threadId":"alice-ok"}],"extra":1}')), 400, before);
    const broken = { ...(await change("alice-batch")), blobs: [{ channel: "messages", version: "0000000001.aaaaaaaa", value: ["json", new TextEncoder().encode("{nope")] }] };
    await expectRefused(post("push", zipped({ protocol: PROTOCOL_VERSION, changes: [good, broken] })), 400, before);
    const badDelta = { ...(await change("alice-batch")), blobs: [{ channel: "messages", version: "0000000001.aaaaaaaa", value: ["json", new Uint8Array(3)], base: "0000000000.zzzzzzzz", keep: 10 }] };
    await expectRefused(post("push", zipped({ protocol: PROTOCOL_VERSION, changes: [good, badDelta] })), 400, before);
    expect((await post("pull", zipped({ protocol: PROTOCOL_VERSION, cursor: "'; DROP TABLE checkpoints; --" }))).status).toBe(400);
  });

  it("answers 413 to a 100 MB body and to a gzip bomb, writing nothing, and keeps serving", async () => {
    const before = await rows();
    const big = new Uint8Array(100 * 1024 * 1024);
    await expectRefused(post("push", big), 413, before);
    // The same without a Content-Length: the server stops reading at its limit. The body ends
    // after 64 MiB (four times the limit), so a server that read on would be seen by the bytes it
    // read rather than by a test that never ends.
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= 64) return c.close();
        sent++;
        c.enqueue(new Uint8Array(1024 * 1024));
      },
    });
    const readBefore = server.bytes.in;
    const chunked = fetch(`${server.url}/push`, {
      method: "POST",
      headers: { "content-type": MEDIA_TYPE, "content-encoding": "gzip", authorization: "Bearer token-alice" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    // The server answers 413 and closes the connection without reading the rest. A client still
    // uploading may meet the closed connection (a reset, or a broken pipe) before it reads the
    // answer: a refusal too. Either way nothing is written and the server read under the limit.
    const answer = await chunked.then(
      (r) => r,
      (e: unknown) => e as { cause?: { code?: string } },
    );
    if (answer instanceof Response) await expectRefused(Promise.resolve(answer), 413, before);
    else {
      expect(answer.cause?.code).toMatch(/^(ECONNRESET|EPIPE)$/);
      expect(await rows()).toBe(before);
    }
    expect(server.bytes.in - readBefore).toBeLessThan(LIMITS.maxBodyBytes * 2);
    const bomb = gzipSync(new Uint8Array(200 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    await expectRefused(post("push", bomb), 413, before);
    const fine = await post("push", zipped({ protocol: PROTOCOL_VERSION, changes: [await change("alice-after")] }));
    expect(fine.status).toBe(200);
    expect(await rows()).toBe(before + 2);
  });
});
