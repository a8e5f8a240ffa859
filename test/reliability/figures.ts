/** One line per measured figure, so a run's log shows the margin of every reliability test. */
export function printFigures(test: string, figures: Record<string, number | string>): void {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${v}`);
  console.log(`[reliability] ${test}: ${parts.join(" ")}`);
}
