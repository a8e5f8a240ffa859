import { server } from "vitest/browser";

/**
 * Inside a browser test: the engine it runs in, as the browser project's instances name them
 * (test/engines/instances.ts).
 */
export type EngineName = "chromium" | "firefox" | "webkit";

export const engine = server.browser as EngineName;
