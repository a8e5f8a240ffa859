/**
 * Large byte arrays reach the worker without a long task on the page. Posting a message copies
 * its bytes on the page in one go (a structured clone): 70 - 95 ms for 50 MB on the bench's
 * machine, during which the page cannot answer a click. An array above HAND_OVER_BYTES is
 * instead copied into a new buffer a slice per task, and that buffer is transferred, not copied.
 *
 * The bytes are read over several tasks, so the array must not change until the call resolves
 * (the README's gotchas say so); smaller arrays are cloned at the call, as before.
 */
export const HAND_OVER_BYTES = 4 * 1024 * 1024;
const SLICE_BYTES = 1024 * 1024;

/**
 * Byte arrays above this cross the worker boundary (both ways) as a copy whose buffer is
 * transferred: one copy, where a structured clone makes two (the sender serializes, the receiver
 * deserializes) at a higher cost per byte. Chromium 156 on the bench's machine: 1 MiB cloned to a
 * worker costs the page 8.1 ms and the worker 5.7 ms to read; copied with slice(), 5.2 ms on the
 * page and none in the worker (test/bench/profile.mjs shows where a save's and a load's time goes).
 * Below it a clone costs about as much as the transfer's bookkeeping.
 */
export const TRANSFER_BYTES = 64 * 1024;

const isBytes = (a: unknown): a is Uint8Array => ArrayBuffer.isView(a) && a instanceof Uint8Array;

/**
 * The arguments with each array between TRANSFER_BYTES and HAND_OVER_BYTES copied at once, and
 * the copies' buffers to transfer; undefined when there is none. The caller's arrays stay as
 * they are, and are read here, at the call.
 */
export function copiedForTransfer(args: unknown[]): { args: unknown[]; buffers: ArrayBuffer[] } | undefined {
  let out: unknown[] | undefined;
  const buffers: ArrayBuffer[] = [];
  args.forEach((a, i) => {
    if (!isBytes(a) || a.byteLength <= TRANSFER_BYTES || a.byteLength > HAND_OVER_BYTES) return;
    out ??= args.slice();
    const copy = a.slice();
    out[i] = copy;
    buffers.push(copy.buffer);
  });
  return out && { args: out, buffers };
}

/** The arguments' large byte arrays, each as its own index. */
export function largeArrays(args: unknown[]): number[] {
  const found: number[] = [];
  args.forEach((a, i) => {
    // isView first: it is false for a proxy of an array, whose byteLength getter would throw;
    // such an argument is left to the structured clone, which refuses it (INVALID_ARGUMENT).
    if (isBytes(a) && a.byteLength > HAND_OVER_BYTES) found.push(i);
  });
  return found;
}

/**
 * Copies of `args` with each large array copied a slice per task, and those above TRANSFER_BYTES
 * copied at once (copiedForTransfer); the buffers to transfer.
 */
export async function handOver(args: unknown[], large: number[]): Promise<{ args: unknown[]; buffers: ArrayBuffer[] }> {
  const copied = copiedForTransfer(args);
  const out = copied?.args ?? args.slice();
  const buffers: ArrayBuffer[] = copied?.buffers ?? [];
  for (const i of large) {
    const src = args[i] as Uint8Array;
    const copy = new Uint8Array(src.byteLength);
    for (let at = 0; at < src.byteLength; at += SLICE_BYTES) {
      copy.set(src.subarray(at, at + SLICE_BYTES), at);
      await nextTask();
    }
    out[i] = copy;
    buffers.push(copy.buffer);
  }
  return { args: out, buffers };
}

/** Lets the page run its other tasks: a message, which browsers do not throttle as timers. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
