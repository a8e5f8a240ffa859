import { openStore, isStoreError, type Store } from "../../src/index";

/**
 * The page side of the crash sweep. `write` saves small checkpoints (threads), appends run events
 * (runs), puts multi-row saver checkpoints (one header, three channel blobs, indexes: one
 * transaction over several object stores) and writes agent turns (three buffered appends, then
 * finishTurn, the durability barrier) in four lanes as fast as the store takes them, and
 * reports each acknowledgement through `window.ack` the moment it arrives (in Chromium a binding
 * Playwright exposes; in Firefox and WebKit a batched post, see crash-page.ts). `verify`
 * reads everything back after a relaunch and reports what is there, as plain data.
 */

declare global {
  interface Window {
    ack?: (kind: "cp" | "ev" | "sv" | "turn", id: string | number) => Promise<void>;
  }
}

export const DB = "crash-sweep";
const RUN = "run";
const CHANNELS = ["a", "b", "c"];

/** Deterministic bytes from a string, so the reader knows what every record must contain. */
export function bytesOf(key: string, size: number): Uint8Array {
  let x = 2166136261;
  for (let i = 0; i < key.length; i++) x = Math.imul(x ^ key.charCodeAt(i), 16777619) >>> 0;
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    b[i] = x & 0xff;
  }
  return b;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

let store: Store | undefined;

/** Starts the three writer lanes; they run until the browser dies. */
export async function write(launch: number): Promise<void> {
  store ??= await openStore({ name: DB });
  const s = store;
  if (!(await s.runs.getRun(RUN))) await s.runs.createRun(RUN, "crash-sweep", {}).catch((e) => {
    if (!isStoreError(e, "CONFLICT")) throw e;
  });
  const lane = async (step: (i: number) => Promise<void>) => {
    for (let i = 0; ; i++) await step(i);
  };
  const tag = (i: number) => `${String(launch).padStart(4, "0")}-${String(i).padStart(7, "0")}`;
  void lane(async (i) => {
    const id = await s.threads.save("t", { tag: tag(i) }, bytesOf(`cp${tag(i)}`, 512));
    void window.ack?.("cp", id);
  });
  void lane(async (i) => {
    const seq = await s.runs.appendEvent({ runId: RUN, kind: "tick", data: { tag: tag(i) } });
    void window.ack?.("ev", seq);
  });
  void lane(async (i) => {
    const id = tag(i);
    await s.saver.put({
      threadId: "s",
      ns: "",
      checkpointId: id,
      v: 4,
      checkpoint: ["json", bytesOf(`hdr${id}`, 96)],
      metadata: ["json", bytesOf(`md${id}`, 24)],
      metadataIndex: {},
      channelVersions: Object.fromEntries(CHANNELS.map((c) => [c, id])),
      blobs: CHANNELS.map((c) => ({ channel: c, version: id, value: ["bytes", bytesOf(`${c}${id}`, 300)] })),
    });
    void window.ack?.("sv", id);
  });
  // Turn numbers are unique across launches: launch * 1e6 + i.
  void lane(async (i) => {
    const turn = launch * 1_000_000 + i;
    for (let e = 0; e < TURN_EVENTS; e++) await s.events.append("agent", turn, { turn, e });
    await s.events.finishTurn("agent", turn);
    void window.ack?.("turn", turn);
  });
}

const TURN_EVENTS = 3;

export interface Found {
  opened: boolean;
  openError?: string;
  checkpoints: string[];
  checkpointsDamaged: number;
  eventSeqs: number[];
  saverComplete: string[];
  saverPartial: number;
  /** Finished turns holding exactly their events, in order. */
  turnsComplete: number[];
  /** Finished turns missing events, or holding others. */
  turnsBroken: number;
  /** What store.dataLoss said on this open: the browser threw the database away (Chromium reports it), or lost part of it. */
  dataLoss?: { kind: string; message: string; reportedNow: boolean };
}

/** Reads back everything the writer lanes may have written. */
export async function verify(): Promise<Found> {
  const found: Found = { opened: false, checkpoints: [], checkpointsDamaged: 0, eventSeqs: [], saverComplete: [], saverPartial: 0, turnsComplete: [], turnsBroken: 0 };
  let s: Store;
  try {
    s = await openStore({ name: DB });
    found.opened = true;
    if (s.dataLoss) found.dataLoss = { kind: s.dataLoss.kind, message: s.dataLoss.message, reportedNow: s.dataLoss.reportedNow };
  } catch (e) {
    found.openError = String(e);
    return found;
  }
  try {
    for (const meta of await s.threads.list("t")) {
      const loaded = await s.threads.load("t", meta.checkpointId).catch(() => undefined);
      const tag = String(meta.metadata.tag);
      if (loaded && same(loaded.state, bytesOf(`cp${tag}`, 512))) found.checkpoints.push(meta.checkpointId);
      else found.checkpointsDamaged++;
    }
    if (await s.runs.getRun(RUN)) {
      for (let since = 0; ; ) {
        const page = await s.runs.getEvents(RUN, since, 1000);
        if (page.length === 0) break;
        for (const e of page) found.eventSeqs.push(e.seq);
        since = page[page.length - 1].seq;
      }
    }
    for (const tuple of await s.saver.list({ threadId: "s", ns: "" })) {
      const id = tuple.checkpointId;
      const whole =
        same(tuple.checkpoint[1], bytesOf(`hdr${id}`, 96)) &&
        CHANNELS.every((c) => tuple.channelValues[c] && same(tuple.channelValues[c][1], bytesOf(`${c}${id}`, 300)));
      if (whole) found.saverComplete.push(id);
      else found.saverPartial++;
    }
    for (const t of await s.events.getTurns("agent")) {
      if (!t.finished) continue;
      const whole = t.events.length === TURN_EVENTS && t.events.every((e, i) => e.turn === t.turn && e.e === i);
      if (whole) found.turnsComplete.push(t.turn);
      else found.turnsBroken++;
    }
  } catch (e) {
    found.openError = `reading failed: ${String(e)}`;
  } finally {
    await s.close();
  }
  return found;
}
