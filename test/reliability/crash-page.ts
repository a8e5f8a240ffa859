import * as crash from "./crash-writer";

/**
 * The crash sweep's page for engines no test driver can restart on the same profile (Firefox,
 * WebKitGTK): it drives itself. On load it reads what survived (`crash.verify()`) and posts it to
 * the harness server, then, unless `last=1`, starts the writer lanes and posts their
 * acknowledgements. Node only starts the browser at `?launch=N`, kills it and reads what arrived.
 */

const params = new URLSearchParams(location.search);
const launch = Number(params.get("launch"));
const last = params.get("last") === "1";
const endpoint = (what: string) => `/__crash/${what}?launch=${launch}`;

const post = (what: string, body: unknown) =>
  fetch(endpoint(what), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

// Uncaught errors are reported as Chromium's sweep collects them from Playwright.
const report = (message: string) => void post("error", { message }).catch(() => {});
window.addEventListener("error", (e) => report(`pageerror: ${e.message}`));
window.addEventListener("unhandledrejection", (e) => report(`unhandled rejection: ${String(e.reason)}`));

/**
 * Acknowledgements, batched: one request in flight, the next carries everything acknowledged
 * meanwhile. Node counts an acknowledgement only once its request has arrived whole, so a kill
 * can only make it count fewer than the page saw: the conservative side for a "nothing lost" test.
 */
const pending: Array<[string, string | number]> = [];
let sending = false;
async function flushAcks(): Promise<void> {
  if (sending) return;
  sending = true;
  try {
    while (pending.length) await post("ack", pending.splice(0));
  } catch (e) {
    report(`ack post failed: ${String(e)}`);
  } finally {
    sending = false;
  }
}

async function main(): Promise<void> {
  await post("found", await crash.verify());
  if (last) return;
  window.ack = async (kind, id) => {
    pending.push([kind, id]);
    void flushAcks();
  };
  await crash.write(launch);
}

main().catch((e) => report(`crash page: ${String(e)}`));
