import { isStoreError } from "idb-checkpoint";

/**
 * What the banner says for a failure. A sentence per error code, never the error's own message:
 * messages name threads, checkpoints and keys, which mean nothing to a visitor (and the console
 * keeps the whole error for whoever needs it).
 */
export function describeFailure(error: unknown): string {
  if (!isStoreError(error)) return "Something went wrong, and the last change may not have been saved. Reload the page to see what is stored.";
  switch (error.code) {
    case "QUOTA_EXCEEDED":
      return "The browser has no room left for this site, so the last change was not saved. Delete a conversation to free space.";
    case "WORKER_GONE":
      return "The storage worker stopped, so the last change may not have been saved. Reload the page to continue.";
    case "TIMEOUT":
      return "Storage did not answer in time; the last change may not have been saved. Reload the page to see what is stored.";
    case "UPGRADE_BLOCKED":
      return "An older version of this app is open in another tab and holds the storage. Close that tab, then reload this one.";
    case "DATABASE_CLOSED":
    case "CONFLICT":
      return "The storage was closed or changed by another tab (a newer version of this app?). Reload this tab to continue.";
    case "THREAD_BUSY":
      return "Another tab is running this conversation. Try again when it has finished.";
    case "PAYLOAD_TOO_LARGE":
      return "That is more than this app can store in one conversation step; the last change was not saved.";
    case "INTEGRITY":
      return "Part of the stored data is damaged and was not used. Other conversations are not affected.";
    default:
      return `The last change was not saved (${error.code}).`;
  }
}

/** Said when the browser closed the store under the page. */
export function describeClose(reason: "versionchange" | "closed"): string {
  return reason === "versionchange"
    ? "This app was updated or reset in another tab. Reload this tab to continue."
    : "The browser closed this site's storage (site data cleared?). Reload the page to continue.";
}
