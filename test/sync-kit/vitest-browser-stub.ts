/**
 * Stands in for `vitest/browser` on the sync device page, which loads the bench's chat workload
 * outside vitest: the workload's helpers import it for writing result files, which the page never does.
 */
export const commands = {
  writeFile(): Promise<void> {
    return Promise.reject(new Error("not under vitest"));
  },
};

/** The engine the bench helpers label their figures with: the device page runs in Chromium (harness.ts). */
export const server = { browser: "chromium" };
