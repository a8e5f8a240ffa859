/**
 * The preset dictionary of codec 2: fragments of what agent state serializes to (LangGraph
 * checkpoints and metadata, LangChain messages, chat messages). Deflate can refer back into it
 * from the first byte, so a payload of a few hundred bytes no longer pays for spelling out its
 * structure: a LangGraph checkpoint's header deflates to about 45% of what it does without, a
 * serialized LangChain message to about half. Matches nearer the end cost fewer bits, so the
 * most common fragments come last.
 *
 * Stored rows name their codec and this text is part of codec 2: it must never change. A better
 * dictionary is a new codec number, with this one kept for reading.
 */
const TEXT = [
  '{"lc":1,"type":"constructor","id":["langchain_core","messages","ToolMessage"],"kwargs":{"tool_call_id":"call_',
  '","name":"","status":"success","artifact":null,"content":"","tool_calls":[],"invalid_tool_calls":[],',
  '"additional_kwargs":{},"response_metadata":{"model_name":"","finish_reason":"stop","model_provider":""},',
  '"usage_metadata":{"input_tokens":0,"output_tokens":0,"total_tokens":0,"input_token_details":{},"output_token_details":{}}',
  ',"type":"tool_call","args":{}}],"id":"run-"}}',
  '{"lc":1,"type":"constructor","id":["langchain_core","messages","SystemMessage"],"kwargs":{"content":"',
  '{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"],"kwargs":{"content":"',
  '{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessage"],"kwargs":{"content":"',
  '"__interrupt__","__resume__","__error__","__pregel_tasks","__pregel_push","__pregel_pull","__end__",',
  '{"source":"update","step":{"source":"fork","step":{"source":"input","step":-1,"parents":{}}',
  '{"source":"loop","step":1,"parents":{}}',
  '{"v":4,"ts":"2026-01-01T00:00:00.000Z","versions_seen":{"__input__":{},"__start__":{"__start__":"0000000001.',
  '"},"":{"branch:to:":"00000000',
  '[{"role":"system","content":"[{"role":"tool","content":"',
  '{"messages":[{"role":"assistant","content":"[{"role":"user","content":"',
].join("");

export const DEFLATE_DICTIONARY: Uint8Array = new TextEncoder().encode(TEXT);
