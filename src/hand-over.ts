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

/** The arguments' large byte arrays, each as its own index. */
export function largeArrays(args: unknown[]): number[] {
  const found: number[] = [];
  args.forEach((a, i) => {
    // isView first: it is false for a proxy of an array, whose byteLength getter would throw;
    // such an argument is left to the structured clone, which refuses it (INVALID_ARGUMENT).
    if (ArrayBuffer.isView(a) && a instanceof Uint8Array && a.byteLength > HAND_OVER_BYTES) found.push(i);
  });
  return found;
}

/** Copies of `args` with each large array copied a slice per task; the buffers to transfer. */
export async function handOver(args: unknown[], large: number[]): Promise<{ args: unknown[]; buffers: ArrayBuffer[] }> {
  const out = args.slice();
  const buffers: ArrayBuffer[] = [];
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
