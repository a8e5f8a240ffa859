import { lockManager } from "../src/locks.js";

/**
 * Keeps buffered events of every handle (tab, worker) in their turn when any handle finishes it.
 *
 * A handle that buffers events of a turn holds the turn's lock in shared mode until they are
 * written. finishTurn asks for the same lock in exclusive mode and tells the other handles,
 * over a BroadcastChannel, to write that turn now: the lock is granted only once every holder has
 * written its events and let go, and no handle starts buffering the turn again until the finish
 * has committed (the Web Locks queue is first come, first served). A handle that dies lets go with
 * it, so a crashed tab never blocks a finish.
 */
export interface TurnGuard {
  /**
   * Resolves once this handle holds `key` (shared), then reserves it for one buffered insert:
   * `unreserve` after the insert. The hold it returns is new after every let-go: its `checked`
   * flag says whether the turn was read under it (another handle may have finished it before).
   */
  reserve(key: string): Promise<{ checked: boolean }>;
  unreserve(key: string): void;
  /** Lets go of `key` when nothing of it is buffered or reserved here. */
  releaseIfIdle(key: string, buffered: boolean): void;
  /** Runs `fn` while no other handle buffers `key`; they are asked to write theirs first. */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while no other handle buffers any turn whose key passes `which`: the turns other
   * handles hold or wait for when it is called are taken exclusively, in one order for every
   * caller (so two of these cannot wait for each other), after their holders wrote them.
   */
  exclusiveWhere<T>(which: (key: string) => boolean, fn: () => Promise<T>): Promise<T>;
  close(): void;
}

interface Hold {
  checked: boolean;
  /** Resolves when the shared lock is granted. */
  granted: Promise<void>;
  isGranted: boolean;
  /** Inserts admitted under this hold that have not run yet. */
  reserved: number;
  release(): void;
}

export function createTurnGuard(dbName: string, onFlushRequest: (key: string) => void): TurnGuard {
  const locks = lockManager();
  const holds = new Map<string, Hold>();
  const lockName = (key: string) => `idb-checkpoint:${dbName}:turn:${key}`;
  let channel: BroadcastChannel | undefined;
  let closed = false;
  /**
   * The channel opens with the first hold or finish: a request concerns only turns held here, and
   * opening it is work a worker's start (openStore) would otherwise wait for.
   */
  const connect = (): BroadcastChannel | undefined => {
    if (channel || closed || typeof BroadcastChannel !== "function") return channel;
    channel = new BroadcastChannel(`idb-checkpoint:${dbName}:events`);
    channel.addEventListener("message", (event: MessageEvent) => {
      const data = event.data as { flush?: unknown } | null;
      if (typeof data?.flush === "string" && holds.has(data.flush)) onFlushRequest(data.flush);
    });
    return channel;
  };

  function acquire(key: string): Hold {
    connect();
    let release!: () => void;
    let grant!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const hold: Hold = { checked: false, granted: new Promise<void>((r) => (grant = r)), isGranted: false, reserved: 0, release };
    void locks
      .request(lockName(key), { mode: "shared" }, () => {
        hold.isGranted = true;
        grant();
        return held;
      })
      .catch(() => {});
    holds.set(key, hold);
    return hold;
  }

  /** Runs `fn` holding `key` exclusively, once every holder was asked to write it and let go. */
  function exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const result = locks.request(lockName(key), { mode: "exclusive" }, fn);
    // After the request is queued: holders write the turn and let go; new holders queue behind it.
    connect()?.postMessage({ flush: key });
    return result;
  }

  return {
    async reserve(key) {
      for (;;) {
        const existing = holds.get(key);
        const hold = existing ?? acquire(key);
        await hold.granted;
        // Released while this call waited for the grant: take a new hold.
        if (holds.get(key) !== hold) continue;
        hold.reserved++;
        return hold;
      }
    },

    unreserve(key) {
      const hold = holds.get(key);
      if (hold) hold.reserved--;
    },

    releaseIfIdle(key, buffered) {
      const hold = holds.get(key);
      if (!hold || buffered || hold.reserved > 0 || !hold.isGranted) return;
      holds.delete(key);
      hold.release();
    },

    exclusive,

    async exclusiveWhere<T>(which: (key: string) => boolean, fn: () => Promise<T>): Promise<T> {
      const prefix = lockName("");
      const { held = [], pending = [] } = await locks.query();
      const keys = [...new Set([...held, ...pending].flatMap((l) => (l.name?.startsWith(prefix) ? [l.name.slice(prefix.length)] : [])))]
        .filter((key) => !holds.has(key) && which(key))
        .sort();
      const run = (i: number): Promise<T> => (i === keys.length ? fn() : exclusive(keys[i], () => run(i + 1)));
      return run(0);
    },

    close() {
      closed = true;
      channel?.close();
      for (const hold of holds.values()) hold.release();
      holds.clear();
    },
  };
}
