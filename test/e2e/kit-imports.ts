/** The kit as an app's test imports it, by its package name (vite.config.ts maps it to src/). */
export * from "idb-checkpoint/testing";
export { isStoreError as isStoreErrorLike } from "idb-checkpoint";
