import { existsSync } from "node:fs";
import type { LaunchOptions } from "puppeteer-core";

/** Debian's Firefox ESR, or FIREFOX_PATH. */
export function firefoxPath(): string | undefined {
  return [process.env.FIREFOX_PATH, "/usr/bin/firefox-esr", "/usr/bin/firefox"].find((p): p is string => !!p && existsSync(p));
}

/**
 * How every suite launches Firefox through puppeteer-core (WebDriver BiDi): the system's Firefox,
 * headless, with the preferences a closed network needs.
 */
export function firefoxLaunchOptions(extra: LaunchOptions = {}): LaunchOptions {
  return {
    browser: "firefox",
    executablePath: firefoxPath(),
    headless: true,
    ...extra,
    extraPrefsFirefox: {
      // Nothing to update, report or fetch on a closed network.
      "app.update.enabled": false,
      "datareporting.policy.dataSubmissionEnabled": false,
      "toolkit.telemetry.enabled": false,
      "network.captive-portal-service.enabled": false,
      "browser.safebrowsing.malware.enabled": false,
      "browser.safebrowsing.phishing.enabled": false,
      // navigator.storage.persist() shows a permission prompt that nobody answers here: the
      // profile answers "allow", as a user would.
      "dom.storageManager.prompt.testing": true,
      "dom.storageManager.prompt.testing.allow": true,
      ...(extra.extraPrefsFirefox ?? {}),
    },
  };
}
