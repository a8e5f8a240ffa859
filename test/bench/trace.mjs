// Records Chromium's trace while `during` runs on the page (the DevTools protocol's Tracing
// domain), for the bench scripts that read where time went: open-trace.mjs, profile.mjs.

/** The trace events of the given categories recorded while `during()` ran, and what it returned. */
export async function recordTrace(context, page, categories, during) {
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on("Tracing.dataCollected", (e) => events.push(...e.value));
  const complete = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
  await cdp.send("Tracing.start", { traceConfig: { includedCategories: categories }, transferMode: "ReportEvents" });
  const result = await during();
  await cdp.send("Tracing.end");
  await complete;
  await cdp.detach();
  return { events, result };
}
