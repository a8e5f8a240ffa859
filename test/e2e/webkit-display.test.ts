import { createConnection } from "node:net";
import { expect, it } from "vitest";
import { onPath, startDisplay } from "../engines/webkit";

/**
 * The X display WebKit's MiniBrowser runs on in the suites (test/engines/webkit.ts). Each
 * WebDriver session starts a MiniBrowser, the display's only client, right after the previous
 * session's closed. An X server that resets when its last client leaves drops the connections
 * that arrive meanwhile: the new MiniBrowser cannot open the display and exits, and
 * WebKitWebDriver waits for it without end (demo tests timed out so on a loaded machine).
 */

/** Opens an X connection as a client does (the setup request, no authorization); resolves with the server's answer. */
function connectX(display: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection(`/tmp/.X11-unix/X${display.replace(/^:/, "").split(".")[0]}`);
    const done = (answer: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done("no answer in 10 s"), 10_000);
    // Little-endian byte order, protocol 11.0, no authorization.
    socket.on("connect", () => socket.write(Buffer.from([0x6c, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
    socket.once("data", (reply: Buffer) => done(reply[0] === 1 ? "accepted" : `refused: ${reply.subarray(8, 8 + reply[1]).toString()}`));
    socket.on("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    socket.on("close", () => done("closed before answering"));
  });
}

it("accepts the next client at once after the last one left, 100 times in a row", async (ctx) => {
  if (!onPath("Xvfb")) {
    console.info("skipped: no Xvfb here (apt-get install xvfb)");
    return ctx.skip("no Xvfb here");
  }
  // Without DISPLAY the suites start an Xvfb of their own: that one is under test.
  const present = process.env.DISPLAY;
  delete process.env.DISPLAY;
  const display = await startDisplay().finally(() => {
    if (present !== undefined) process.env.DISPLAY = present;
  });
  try {
    const answers: string[] = [];
    for (let i = 0; i < 100; i++) answers.push(await connectX(display.display));
    const refused = answers.map((a, i) => ({ client: i + 1, answer: a })).filter((a) => a.answer !== "accepted");
    expect(refused).toEqual([]);
  } finally {
    await display.stop();
  }
});
