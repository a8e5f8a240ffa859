/**
 * The real engine worker, plus a way for a test to make it die the ways workers die in the field:
 * "close" (the worker ends itself: its port just goes silent), "hang" (a busy loop: the thread is
 * alive but never answers again) and "throw" (an uncaught error reaches the Worker's error event).
 * Comlink ignores messages without its fields, so the extra listener does not disturb it.
 */
import "../../worker/main";

export type CrashMode = "close" | "hang" | "throw";

self.addEventListener("message", (event: MessageEvent) => {
  const crash = (event.data as { crash?: CrashMode } | null)?.crash;
  if (crash === "close") self.close();
  else if (crash === "hang") for (;;);
  else if (crash === "throw") setTimeout(() => {
    throw new Error("worker crashed on purpose");
  });
});
