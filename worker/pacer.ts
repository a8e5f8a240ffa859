/**
 * Long CPU work in the worker (chunking and deflating a state of many MiB: seconds in WebKit and
 * Firefox) hands the event loop a turn every `sliceMs`. Between turns nothing else runs in the
 * worker, so without them the page's heartbeat ping goes unanswered and a worker that is only
 * busy is declared gone (WORKER_GONE) mid-save. Only for work outside transactions: a
 * transaction that waits a turn may auto-commit.
 */
export function pacer(sliceMs = 50): () => Promise<void> | undefined {
  let sliceStart = performance.now();
  return () => {
    if (performance.now() - sliceStart < sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        sliceStart = performance.now();
        resolve();
      }, 0),
    );
  };
}
