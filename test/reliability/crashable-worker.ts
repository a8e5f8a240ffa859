/**
 * The real engine worker, plus a way for a test to make it die the ways workers die in the field:
 * "close" (the worker ends itself: its port just goes silent), "hang" (a busy loop: the thread is
 * alive but never answers again) and "throw" (an uncaught error reaches the Worker's error event).
 * It also answers a pollution probe: whether `({}).polluted` is set and which keys
 * Object.prototype has, as the worker sees them. Comlink ignores messages without its fields,
 * so the extra listener does not disturb it (and the page's Comlink ignores the probe's answer).
 */
import "../../worker/main";

export type CrashMode = "close" | "hang" | "throw";

export interface PollutionProbe {
  polluted: unknown;
  prototypeKeys: string[];
}

self.addEventListener("message", (event: MessageEvent) => {
  if ((event.data as { probe?: string } | null)?.probe === "pollution") {
    const probe: PollutionProbe = {
      polluted: ({} as Record<string, unknown>).polluted,
      prototypeKeys: Object.getOwnPropertyNames(Object.prototype).sort(),
    };
    self.postMessage({ probeResult: probe });
    return;
  }
  const crash = (event.data as { crash?: CrashMode } | null)?.crash;
  if (crash === "close") self.close();
  else if (crash === "hang") for (;;);
  else if (crash === "throw") setTimeout(() => {
    throw new Error("worker crashed on purpose");
  });
});
