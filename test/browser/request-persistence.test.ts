import { describe, expect, it } from "vitest";
import { requestPersistence } from "../../src/index";
import { engine } from "../engines/engine";

/**
 * The persistence request in each engine, as a page gets it: Chromium and Firefox have the Storage
 * API (Firefox's permission prompt is answered "allow" by the test profile's preference), WebKitGTK
 * has no navigator.storage at all and must get a clear "unsupported", not a TypeError.
 */
describe(`requestPersistence in ${engine}`, () => {
  it("answers with the engine's real state: a decision where navigator.storage exists, 'unsupported' where it does not", async () => {
    const hasApi = typeof navigator.storage?.persist === "function";
    expect(hasApi).toBe(engine !== "webkit");
    const answer = await requestPersistence();
    if (!hasApi) {
      expect(answer).toMatchObject({ state: "unsupported", persisted: false, asked: false });
      return;
    }
    expect(answer.state).not.toBe("unsupported");
    // Agrees with what the browser itself says afterwards.
    expect(answer.persisted).toBe(await navigator.storage.persisted());
    if (engine === "firefox") expect(answer).toMatchObject({ state: "persisted", asked: true });
  });

  it("only reports with ask: false, and says the same as the browser", async () => {
    const answer = await requestPersistence({ ask: false });
    expect(answer.asked).toBe(false);
    if (typeof navigator.storage?.persisted === "function") expect(answer.persisted).toBe(await navigator.storage.persisted());
    else expect(answer.state).toBe("unsupported");
  });
});
