import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright";
import { chromiumLaunchOptions } from "../chromium";
import { groupAlive } from "./engine-process";

let kills = 0;

/**
 * With RELIABILITY_EVIDENCE=<dir>, a copy of the profile's IndexedDB files as each kill left
 * them (<dir>/kill-<n>), so that a loss found at the next start can be traced to the files: how
 * the LevelDB log record a kill cut short was found (worker/log-rollover.ts).
 */
function keepEvidence(profileDir: string): void {
  const dir = process.env.RELIABILITY_EVIDENCE;
  kills++;
  const from = join(profileDir, "Default", "IndexedDB");
  if (dir && existsSync(from)) cpSync(from, join(dir, `kill-${kills}`), { recursive: true });
}

/**
 * Chromium as a process the test owns: started on a given profile with a DevTools port, attached
 * over CDP, and killable the hard way (SIGKILL to its whole process group, as a crash or power
 * cut of the app would), then started again on the same profile.
 */
export interface BrowserProcess {
  browser: Browser;
  context: BrowserContext;
  /** SIGKILL to the browser's process group; resolves once the browser process has exited. */
  kill(): Promise<void>;
}

export async function startBrowser(profileDir: string): Promise<BrowserProcess> {
  const options = chromiumLaunchOptions();
  const executable = options.executablePath ?? chromium.executablePath();
  const child: ChildProcess = spawn(
    executable,
    [...(options.args ?? []), "--headless", `--user-data-dir=${profileDir}`, "--remote-debugging-port=0", "about:blank"],
    { detached: true, stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`Chromium did not open its DevTools port:\n${seen}`)), 30_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`Chromium exited (${code}) before opening its DevTools port:\n${seen}`)));
  });
  const browser = await chromium.connectOverCDP(endpoint);
  return {
    browser,
    context: browser.contexts()[0],
    async kill() {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      await exited;
      // The browser process is gone; its children (renderer, utility processes) may still be
      // exiting. Relaunching on the profile before the whole group is gone races with them.
      for (let i = 0; i < 400 && groupAlive(child.pid!); i++) await new Promise((r) => setTimeout(r, 25));
      // A process still writing the profile would race the relaunch: a harness fault, not a loss.
      if (groupAlive(child.pid!)) throw new Error(`chromium: processes of group ${child.pid} outlived SIGKILL for 10 s`);
      keepEvidence(profileDir);
      await browser.close().catch(() => {});
    },
  };
}
