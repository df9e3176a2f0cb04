import type { Summary } from "./stats.js";

/** How a figure is shown. */
export type Unit = "ms" | "ns" | "MiB" | "KiB" | "B" | "count";

/** One side of a row: a summary of trials, or words (n/a, did not settle, …). */
export type Cell = Summary | string | undefined;

/** One line of the results table. */
export interface Row {
  measure: string;
  source: string;
  unit: Unit;
  ours: Cell;
  theirs: Cell;
  /** Show ours/theirs of the medians. */
  ratio: boolean;
  /** What the theirs column holds when it is not `@azure/identity`: a baseline, such as core-rest-pipeline alone. */
  against?: string;
  /** The ratio to show in place of ours/theirs of the medians: the median of trial-by-trial ratios of paired runs. */
  pairedRatio?: number;
  /** The target, in words. */
  target?: string;
  /** Whether the target is met; `undefined` when there is none or it cannot be judged. */
  met?: boolean;
  /** Why a target is missed or a figure is missing. */
  note?: string;
}

/** Three significant digits, never in exponent notation. */
export function sig3(value: number): string {
  return String(Number(value.toPrecision(3)));
}

function figure(value: number, unit: Unit): string {
  switch (unit) {
    case "ns":
      if (value >= 1e6) return `${sig3(value / 1e6)} ms`;
      return value >= 1000 ? `${sig3(value / 1000)} µs` : `${Math.round(value)} ns`;
    case "ms":
      return value >= 1000 ? `${sig3(value / 1000)} s` : `${sig3(value)} ms`;
    case "MiB":
      return `${value.toFixed(1)} MiB`;
    case "KiB":
      return `${value.toFixed(0)} KiB`;
    case "B":
      return `${value.toFixed(0)} B`;
    case "count":
      return Number.isInteger(value) ? String(value) : value.toFixed(2);
  }
}

function cell(value: Cell, unit: Unit): string {
  if (value === undefined) return "—";
  if (typeof value === "string") return value;
  const median = figure(value.median, unit);
  if (value.trials === 1 || value.min === value.max) return median;
  return `${median} (${figure(value.min, unit)} – ${figure(value.max, unit)})`;
}

/** ours/theirs of the medians, when both are numbers and theirs is not zero. */
export function ratioOf(row: Pick<Row, "ours" | "theirs" | "pairedRatio">): number | undefined {
  if (row.pairedRatio !== undefined) return row.pairedRatio;
  if (typeof row.ours !== "object" || typeof row.theirs !== "object") return undefined;
  if (row.theirs.median === 0) return undefined;
  return row.ours.median / row.theirs.median;
}

function ratioText(row: Row): string {
  if (!row.ratio) return "";
  const ratio = ratioOf(row);
  if (ratio === undefined) return "—";
  return ratio >= 0.1 ? `${ratio.toFixed(2)}×` : `${String(Number(ratio.toPrecision(2)))}×`;
}

/** The Markdown table: both libraries (median, with min – max over the trials), ours/theirs, the target. */
export function renderTable(rows: readonly Row[]): string {
  const lines = [
    "| measure | source | ours (azure-managed-identity) | theirs (@azure/identity, or the baseline named) | ours/theirs | target | met |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const met = row.met === undefined ? "" : row.met ? "yes" : "**no**";
    const target = row.target ?? "";
    const theirs = row.against ? `${row.against}: ${cell(row.theirs, row.unit)}` : cell(row.theirs, row.unit);
    lines.push(
      `| ${row.measure} | ${row.source} | ${cell(row.ours, row.unit)} | ${theirs} | ${ratioText(row)} | ${target} | ${met} |`,
    );
  }
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.measure} (${r.source}): ${r.note}`);
  return [...lines, ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}
