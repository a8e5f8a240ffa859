import { canonicalJson } from "../canonical-json.js";
import type { SaverBlob, SaverWrite } from "../types.js";
import { DeltaBook, type WireChange, type WireWrite } from "./protocol.js";
import type { SaverSync } from "./store-types.js";

/**
 * Applies a pull response's changes to the local saver, in order, as remote writes (not logged,
 * so they do not travel back). Every step is idempotent: a pull interrupted halfway and repeated
 * from the same cursor stores each checkpoint once.
 */
export async function applyChanges(sync: SaverSync, changes: WireChange[]): Promise<Set<string>> {
  const book = new DeltaBook();
  const touched = new Set<string>();
  for (const c of changes) {
    touched.add(c.threadId);
    if (c.kind === "tombstone") {
      await sync.deleteThread(c.threadId);
    } else if (c.kind === "writes") {
      await putWrites(sync, c.threadId, c.ns, c.checkpointId, c.writes);
    } else {
      const blobs: SaverBlob[] = c.blobs.map((b) => ({ channel: b.channel, version: b.version, value: book.decode(c.threadId, c.ns, b) }));
      await sync.put({
        threadId: c.threadId,
        ns: c.ns,
        checkpointId: c.checkpointId,
        ...(c.parentId !== undefined ? { parentId: c.parentId } : {}),
        v: c.v,
        checkpoint: c.checkpoint,
        metadata: c.metadata,
        metadataIndex: metadataIndex(c.metadata),
        channelVersions: c.channelVersions,
        blobs,
      });
      if (c.writes.length > 0) await putWrites(sync, c.threadId, c.ns, c.checkpointId, c.writes);
    }
  }
  return touched;
}

async function putWrites(sync: SaverSync, threadId: string, ns: string, checkpointId: string, writes: WireWrite[]): Promise<void> {
  const tasks = new Map<string, WireWrite[]>();
  for (const w of writes) tasks.set(w.taskId, [...(tasks.get(w.taskId) ?? []), w]);
  for (const [taskId, list] of tasks) {
    const out: SaverWrite[] = list.map((w) => ({ idx: w.idx, channel: w.channel, value: w.value }));
    await sync.putWrites({ threadId, ns, checkpointId, taskId, taskPath: list[0].taskPath, writes: out });
  }
}

/** What IndexedDBSaver's put sends as the metadata index: each top-level value as canonical JSON. */
function metadataIndex([type, bytes]: [string, Uint8Array]): Record<string, string> {
  if (type !== "json") return {};
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (!value || typeof value !== "object" || Array.isArray(value)) return {};
    const index: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && k !== "__proto__") index[k] = canonicalJson(v);
    return index;
  } catch {
    return {};
  }
}
