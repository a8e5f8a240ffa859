export { openStore, type OpenStoreOptions, type Store } from "./client.js";
export { StoreError, isStoreError, ERROR_CODES, type ErrorCode } from "./errors.js";
export * from "./types.js";
