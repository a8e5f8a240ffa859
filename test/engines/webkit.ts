import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";

/**
 * WebKitGTK, the engine of Safari, as Debian ships it: MiniBrowser driven by WebKitWebDriver
 * (package webkit2gtk-driver) in WebDriver classic, on an X display of its own (Xvfb) when the
 * machine has none. MiniBrowser has no headless mode.
 */
export const MINIBROWSER = process.env.MINIBROWSER_PATH ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

export function webkitAvailable(): boolean {
  return existsSync(MINIBROWSER) && onPath("WebKitWebDriver");
}

export function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => existsSync(`${dir}/${command}`));
}

/** The capabilities WebKitWebDriver wants for MiniBrowser. */
export function webkitCapabilities(): Record<string, unknown> {
  return {
    "wdio:enforceWebDriverClassic": true,
    browserName: "MiniBrowser",
    "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
  };
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

export interface WebKitDriver {
  hostname: string;
  port: number;
  /** The last lines WebKitWebDriver and the browsers it started wrote (why a browser did not start). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * `-noreset`: by default an X server resets when its last client leaves, and for that moment
 * (a quarter of a second on a busy machine) it drops new connections. MiniBrowser is the only
 * client here: a WebDriver session's browser closing and the next one opening met that moment
 * (MiniBrowser: "cannot open display"), and WebKitWebDriver then waits for the dead browser for
 * good, which timed tests out at random on a loaded machine (test/e2e/webkit-display.test.ts).
 */
export const XVFB_ARGS = ["-displayfd", "3", "-screen", "0", "1440x900x24", "-nolisten", "tcp", "-noreset"];

/** An X display for MiniBrowser: DISPLAY when set, else an Xvfb of its own (`stop` ends it). */
export async function startDisplay(): Promise<{ display: string; stop(): Promise<void> }> {
  const present = process.env.DISPLAY;
  if (present) return { display: present, stop: async () => {} };
  const xvfb = spawn("Xvfb", XVFB_ARGS, { stdio: ["ignore", "ignore", "ignore", "pipe"] });
  const display = await new Promise<string>((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error("Xvfb did not report its display")), 15_000);
    (xvfb.stdio[3] as NodeJS.ReadableStream).on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes("\n")) {
        clearTimeout(timer);
        resolve(`:${seen.trim()}`);
      }
    });
    xvfb.once("exit", (code) => reject(new Error(`Xvfb exited (${code})`)));
  });
  return { display, stop: () => stop(xvfb) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
}

/** Starts Xvfb (unless DISPLAY is set) and WebKitWebDriver on a free port. */
export async function startWebKitDriver(): Promise<WebKitDriver> {
  if (!webkitAvailable()) throw new Error(`WebKit: MiniBrowser (${MINIBROWSER}) or WebKitWebDriver is missing; apt-get install webkit2gtk-driver xvfb`);
  const { display, stop: stopDisplay } = await startDisplay();
  const port = await freePort();
  const driver = spawn("WebKitWebDriver", [`--port=${port}`], { env: { ...process.env, DISPLAY: display }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-4_000));
  driver.stdout!.on("data", keep);
  driver.stderr!.on("data", keep);
  for (let i = 0; ; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/status`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 100) throw new Error("WebKitWebDriver did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    hostname: "127.0.0.1",
    port,
    output: () => output.trim(),
    async stop() {
      await stop(driver);
      await stopDisplay();
    },
  };
}
