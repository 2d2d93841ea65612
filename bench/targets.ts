/**
 * DESIGN §9 as a table: every troupe row next to the anchor it is held to, measured in the same
 * run, with the ratio and the target. Machines change speed from run to run; ratios to anchors
 * from the same run do not (much).
 */
import { fmt } from './harness.js';

export interface Target {
  metric: string;
  unit: string;
  troupe: number | undefined;
  /** what the row is held to, and its value in `unit` */
  anchor: string;
  anchorValue: number | undefined;
  /** troupe/anchor must be ≤ or ≥ `ratio`; or troupe itself ≤ `value` (an absolute target) */
  bound: { op: '<=' | '>='; ratio: number } | { op: 'max'; value: number };
}

function ratioOf(t: Target): number | undefined {
  if (t.troupe === undefined || !Number.isFinite(t.troupe)) return undefined;
  if (t.bound.op === 'max') return undefined;
  if (t.anchorValue === undefined || !Number.isFinite(t.anchorValue) || t.anchorValue === 0) return undefined;
  return t.troupe / t.anchorValue;
}

/** Whether the row meets its target (undefined when a figure is missing). */
export function meets(t: Target): boolean | undefined {
  if (t.troupe === undefined || !Number.isFinite(t.troupe)) return undefined;
  if (t.bound.op === 'max') return t.troupe <= t.bound.value;
  const r = ratioOf(t);
  if (r === undefined) return undefined;
  return t.bound.op === '<=' ? r <= t.bound.ratio : r >= t.bound.ratio;
}

function targetText(t: Target): string {
  return t.bound.op === 'max' ? `≤ ${fmt(t.bound.value)} ${t.unit}` : `${t.bound.op === '<=' ? '≤' : '≥'} ${t.bound.ratio}×`;
}

export function printTargets(targets: readonly Target[], out: (s: string) => void = (s) => process.stdout.write(s)): void {
  const header = ['metric (DESIGN §9)', 'troupe', 'unit', 'anchor (same run)', 'anchor', 'ratio', 'target', 'met'];
  const body = targets.map((t) => {
    const r = ratioOf(t);
    const ok = meets(t);
    return [t.metric, fmt(t.troupe), t.unit, t.anchor, fmt(t.anchorValue), r === undefined ? '' : `${r.toFixed(2)}×`, targetText(t), ok === undefined ? 'n/a' : ok ? 'yes' : 'NO'];
  });
  const numeric = new Set([1, 4, 5]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join(' | ')
      .trimEnd();
  out('\n== Targets: ratios to anchors measured in this run (DESIGN §9) ==\n');
  out(line(header) + '\n');
  out(widths.map((w) => '-'.repeat(w)).join('-+-') + '\n');
  for (const row of body) out(line(row) + '\n');
  const met = targets.filter((t) => meets(t) === true).length;
  const measured = targets.filter((t) => meets(t) !== undefined).length;
  out(`${met} of ${measured} measured targets met\n`);
}
