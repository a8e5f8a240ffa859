import type { BrowserCommand } from "vitest/node";
import type { Page } from "playwright";

/**
 * A browser command for the bench (runs in Node, beside Playwright): the JS heap in use of every
 * dedicated worker the tested page runs, through the Chrome DevTools Protocol (workers have no
 * performance.memory). Workers are attached to without pausing them.
 */
export const workerHeap: BrowserCommand<[]> = async (ctx) => {
  const page = (ctx as unknown as { page: Page }).page;
  const cdp = await page.context().newCDPSession(page);
  const pending = new Map<number, (result: unknown) => void>();
  cdp.on("Target.receivedMessageFromTarget", (event: { message: string }) => {
    const message = JSON.parse(event.message) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const { targetInfos } = (await cdp.send("Target.getTargets")) as { targetInfos: Array<{ targetId: string; type: string; url: string; title: string }> };
  const out: Array<{ title: string; usedBytes: number; totalBytes: number }> = [];
  let id = 0;
  for (const t of targetInfos.filter((x) => x.type === "worker")) {
    const { sessionId } = (await cdp.send("Target.attachToTarget", { targetId: t.targetId, flatten: false })) as { sessionId: string };
    const ask = (method: string) =>
      new Promise<unknown>((resolve) => {
        const n = ++id;
        pending.set(n, resolve);
        void cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id: n, method }) });
      });
    await ask("HeapProfiler.collectGarbage");
    const heap = (await ask("Runtime.getHeapUsage")) as { usedSize: number; totalSize: number };
    out.push({ title: t.title || t.url, usedBytes: heap.usedSize, totalBytes: heap.totalSize });
    await cdp.send("Target.detachFromTarget", { sessionId }).catch(() => {});
  }
  await cdp.detach();
  return out;
};
