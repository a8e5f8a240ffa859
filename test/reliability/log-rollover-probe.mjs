// How often the write-ahead log that the store's log rollover retires (worker/log-rollover.ts) is
// still on disk when the rollover resolves, in Chromium, for one round of it and for two: a
// browser that exits before LevelDB's flush removes that log replays it on its next start.
//
//   node test/reliability/log-rollover-probe.mjs [samples] [rounds...]   (default: 12 samples, 1 and 2 rounds)
//
// Each sample writes 50 small rows, then does the rounds (create the scratch database, delete
// it) and lists the profile's .log files as the rounds resolve.
import { chromium } from "playwright";
import { createServer } from "node:http";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SAMPLES = Number(process.argv[2] ?? 12);
const executablePath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
const server = createServer((_, res) => res.writeHead(200, { "content-type": "text/html" }).end("<p>probe</p>")).listen(0);
const url = `http://127.0.0.1:${server.address().port}/`;

const ROUNDS = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1, 2];
for (const rounds of ROUNDS) {
  const profile = mkdtempSync(join(tmpdir(), "log-rollover-probe-"));
  const logs = () => {
    const root = join(profile, "Default", "IndexedDB");
    const dir = existsSync(root) ? readdirSync(root).find((d) => d.endsWith(".leveldb")) : undefined;
    return dir ? readdirSync(join(root, dir)).filter((f) => f.endsWith(".log")) : [];
  };
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  const page = await context.newPage();
  await page.goto(url);
  await page.exposeFunction("logs", logs);
  let left = 0;
  const ms = [];
  for (let s = 0; s < SAMPLES; s++) {
    const { before, after, took } = await page.evaluate(async (rounds) => {
      const done = (r) => new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
      const open = indexedDB.open("rows", 1);
      open.onupgradeneeded = () => open.result.createObjectStore("s");
      const db = await done(open);
      for (let i = 0; i < 50; i++) {
        const tx = db.transaction("s", "readwrite");
        tx.objectStore("s").put("v".repeat(1000), Math.random());
        await new Promise((resolve) => (tx.oncomplete = resolve));
      }
      db.close();
      const before = await window.logs();
      const t = performance.now();
      for (let k = 0; k < rounds; k++) {
        const scratch = indexedDB.open("scratch");
        scratch.onupgradeneeded = () => scratch.result.createObjectStore("s");
        (await done(scratch)).close();
        await done(indexedDB.deleteDatabase("scratch"));
      }
      return { before, after: await window.logs(), took: performance.now() - t };
    }, rounds);
    if (before.some((f) => after.includes(f))) left++;
    ms.push(took);
  }
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  ms.sort((a, b) => a - b);
  console.log(`${rounds} round(s): the log before the rollover still on disk as it resolved in ${left} of ${SAMPLES}; rollover median ${ms[ms.length >> 1].toFixed(1)} ms, max ${ms[ms.length - 1].toFixed(1)} ms`);
}
server.close();
