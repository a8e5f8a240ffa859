import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { firefoxPath } from "../engines/firefox";
import { MINIBROWSER } from "../engines/webkit";

/**
 * Firefox or WebKitGTK as a process the crash sweep owns, with no driver attached: started on a
 * profile directory at a URL, in a process group of its own, and killed the hard way (SIGKILL to
 * the whole group, as a power cut of the app would). No driver because the sweep needs a second
 * launch on the same profile: MiniBrowser's automation sessions keep their storage in memory, and
 * the page drives itself (test/reliability/crash-page.ts).
 */
export type CrashEngine = "firefox" | "webkit";

export interface EngineProcess {
  /** SIGKILL to the process group; resolves once every process of the group is gone. */
  kill(): Promise<void>;
  /**
   * SIGKILL to the content processes only (Firefox's "Web Content", WebKit's WebKitWebProcess):
   * the tab crash, the engines' counterpart of Chromium's chrome://crash. Resolves with how many.
   */
  crashContent(): Promise<number>;
  /** The end of what the browser wrote to stderr, for failure messages. */
  log(): string;
}

/**
 * Firefox preferences for a profile the sweep kills over and over: no session restore (it would
 * reopen the last launch's page beside the new one), no safe-mode prompt after repeated crashes,
 * no first-run pages, and nothing fetched from a network this machine does not have.
 */
const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  "browser.sessionstore.resume_from_crash": false,
  "browser.sessionstore.max_resumed_crashes": 0,
  "toolkit.startup.max_resumed_crashes": -1,
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.homepage_override.mstone": "ignore",
  "startup.homepage_welcome_url": "",
  "startup.homepage_welcome_url.additional": "",
  "browser.aboutwelcome.enabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.policy.firstRunURL": "",
  "toolkit.telemetry.enabled": false,
  "app.update.enabled": false,
  "network.captive-portal-service.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
};

function firefoxArgs(profile: string, url: string): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const command = firefoxPath();
  if (!command) throw new Error("Firefox is not installed (apt-get install firefox-esr, or set FIREFOX_PATH)");
  mkdirSync(profile, { recursive: true });
  writeFileSync(join(profile, "user.js"), Object.entries(FIREFOX_PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(""));
  return { command, args: ["--headless", "--no-remote", "--profile", profile, url], env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: "1" } };
}

/**
 * MiniBrowser without `--automation`, so its website data lives on disk under XDG_DATA_HOME and a
 * relaunch with the same directories finds it.
 */
function webkitArgs(profile: string, url: string, display: string): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const dirs = { HOME: profile, XDG_DATA_HOME: join(profile, "data"), XDG_CACHE_HOME: join(profile, "cache"), XDG_CONFIG_HOME: join(profile, "config") };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return { command: MINIBROWSER, args: [url], env: { ...process.env, ...dirs, DISPLAY: display } };
}

export function startEngine(engine: CrashEngine, profile: string, url: string, display = process.env.DISPLAY ?? ""): EngineProcess {
  const { command, args, env } = engine === "firefox" ? firefoxArgs(profile, url) : webkitArgs(profile, url, display);
  const child: ChildProcess = spawn(command, args, { detached: true, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4_000);
  });
  const pid = child.pid!;
  return {
    async crashContent() {
      const content = groupMembers(pid).filter((p) => /^(Web Content|WebKitWebProces)/.test(p.comm));
      for (const p of content) {
        try {
          process.kill(p.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      return content.length;
    },
    log: () => stderr,
    async kill() {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
      // Relaunching on the profile while a process of the old group still holds its files races
      // with it: wait for the whole group, not just the process we started.
      for (let i = 0; i < 400 && groupAlive(pid); i++) await new Promise((r) => setTimeout(r, 25));
      if (groupAlive(pid)) throw new Error(`${engine}: processes of group ${pid} outlived SIGKILL for 10 s`);
    },
  };
}

/** Whether any process of the group led by `pid` is still alive (zombies included until reaped). */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes of group `pgid`, read from /proc (Linux): pid and the kernel's 15-character name. */
function groupMembers(pgid: number): Array<{ pid: number; comm: string }> {
  const members: Array<{ pid: number; comm: string }> = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split at the last ")".
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      if (Number(fields[2]) === pgid) members.push({ pid: Number(entry), comm: stat.slice(stat.indexOf("(") + 1, close) });
    } catch {
      // exited while listing
    }
  }
  return members;
}
