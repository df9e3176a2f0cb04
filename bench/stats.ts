/** The median, minimum and maximum of a measure's trials. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  trials: number;
}

/** Summarises trials; `undefined` when there are none. */
export function summarise(values: readonly number[]): Summary | undefined {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, trials: sorted.length };
}
