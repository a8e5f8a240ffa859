/**
 * One line per measured figure, so a run's log shows the margin of every reliability test. In a
 * browser test the line names the engine, since one run covers three and prints them alike.
 */
export function printFigures(test: string, figures: Record<string, number | string>): void {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${v}`);
  console.log(`[reliability] ${test}${inEngine()}: ${parts.join(" ")}`);
}

function inEngine(): string {
  if (typeof window === "undefined") return "";
  const ua = navigator.userAgent;
  return ` (${/Firefox\//.test(ua) ? "firefox" : /Chrom(e|ium)\//.test(ua) ? "chromium" : "webkit"})`;
}
