/** Live updates: committed changes announced across tabs. Public face of src/changes/. */
export { subscribeToChanges, type SubscribeOptions, type ChangeListener } from "./subscribe.js";
export {
  changeChannelName,
  engineLockPrefix,
  WRITE_METHODS,
  isChangeMessage,
  type StoreChange,
  type ChangedStore,
  type ChangeMessage,
  type FlushRequest,
  type FlushedMessage,
} from "./change.js";
