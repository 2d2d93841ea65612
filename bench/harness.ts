/**
 * Tiny benchmark harness shared by the peer measurements and the troupe rows.
 *
 * - `median(xs)` / `measure(fn, { runs })`: run an async sample function
 *   several times (after optional warm-up) and return the median sample.
 * - `printTable(title, rows)`: aligned side-by-side comparison table
 *   metric | troupe | peer | peer value | unit | troupe/peer | goal.
 *   A missing troupe (or peer) value prints `n/a`; it never throws.
 * - `getGc()` / `heapBytesPerItem()`: memory-per-object measurement, so the
 *   troupe actor-memory row can be measured exactly like the xstate peer.
 * - `measureAlongside(fn, anchor)`: a row and its anchor sampled in turn.
 * - `extra(label, unit, fn)` / `delegate(file, name)`: logged numbers with no row
 *   of their own, and rows that live in a sibling module.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export { performance };

/** One line of a comparison table. Values are in `unit`. */
export type Row = {
  metric: string;
  unit: string;
  troupe?: number | undefined;
  peer: string;
  peerValue?: number | undefined;
  higherIsBetter: boolean;
};

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export type MeasureOptions = {
  /** Number of measured samples (the median of these is returned). Default 5. */
  runs?: number;
  /** Unmeasured warm-up calls before the samples. Default 1. */
  warmup?: number;
};

/**
 * Run `fn` `warmup` times (discarded), then `runs` times, and return the
 * median of the numbers it returned. `fn` does its own timing and returns the
 * sample in the row's unit (e.g. µs per round trip, msgs/s).
 */
export async function measure(
  fn: () => number | Promise<number>,
  { runs = 5, warmup = 1 }: MeasureOptions = {},
): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < Math.max(1, runs); i++) samples.push(await fn());
  return median(samples);
}

/**
 * Like measure(), for a row and its anchor in turn: one sample of each, `runs` times after
 * `warmup` of each, so a machine whose speed drifts during the run moves both alike. Returns
 * both medians.
 */
export async function measureAlongside(
  fn: () => number | Promise<number>,
  anchor: () => number | Promise<number>,
  { runs = 5, warmup = 1 }: MeasureOptions = {},
): Promise<{ value: number; anchor: number }> {
  for (let i = 0; i < warmup; i++) {
    await anchor();
    await fn();
  }
  const values: number[] = [];
  const anchors: number[] = [];
  for (let i = 0; i < Math.max(1, runs); i++) {
    anchors.push(await anchor());
    values.push(await fn());
  }
  return { value: median(values), anchor: median(anchors) };
}

/** Time `fn` once; returns elapsed milliseconds. */
export async function timeMs(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Progress line on stderr (stdout is reserved for the tables). */
export function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

// ------------------------------------------------------------------ memory --

let cachedGc: (() => void) | null | undefined;

/**
 * A callable full GC: `global.gc` if node ran with --expose-gc, otherwise one
 * obtained at runtime via `v8.setFlagsFromString('--expose-gc')`. Returns
 * `null` if neither works (then callers fall back to raw heapUsed deltas).
 */
export function getGc(): (() => void) | null {
  if (cachedGc !== undefined) return cachedGc;
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return (cachedGc = g);
  try {
    setFlagsFromString('--expose-gc');
    const fresh = runInNewContext('gc') as unknown;
    if (typeof fresh === 'function') return (cachedGc = fresh as () => void);
  } catch {
    /* fall through */
  }
  return (cachedGc = null);
}

function settleHeap(gc: (() => void) | null): number {
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Bytes of JS heap retained per item: heapUsed after creating `count` items
 * (kept alive) minus heapUsed before, divided by `count`. With a GC available
 * the heap is collected before both readings; without one, use a large count
 * (≥100k) so allocation noise averages out. `dispose` gets the created items
 * afterwards (e.g. to stop actors).
 */
export async function heapBytesPerItem<T>(
  create: (i: number) => T | Promise<T>,
  count: number,
  dispose?: (items: T[]) => void | Promise<void>,
): Promise<number> {
  const gc = getGc();
  const items: T[] = new Array(count);
  const before = settleHeap(gc);
  for (let i = 0; i < count; i++) items[i] = await create(i);
  const after = settleHeap(gc);
  const perItem = (after - before) / count;
  if (dispose) await dispose(items);
  items.length = 0;
  return perItem;
}

// ------------------------------------------------------------------ tables --

/** Human-friendly number: ~3-4 significant digits, thousands separators, no exponent. */
export function fmt(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(1);
  if (a >= 10) return x.toFixed(2);
  if (a >= 1) return x.toFixed(3);
  return x.toPrecision(3);
}

function ratioCell(row: Row): { ratio: string; verdict: string } {
  const { troupe, peerValue } = row;
  if (
    troupe === undefined ||
    peerValue === undefined ||
    !Number.isFinite(troupe) ||
    !Number.isFinite(peerValue) ||
    peerValue === 0
  ) {
    return { ratio: 'n/a', verdict: '' };
  }
  const r = troupe / peerValue;
  const better = row.higherIsBetter ? r > 1 : r < 1;
  const ratio = r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
  const verdict = Math.abs(r - 1) < 0.05 ? '~same' : better ? 'troupe better' : 'peer better';
  return { ratio, verdict };
}

/**
 * Print an aligned table to stdout. Consecutive rows with the same metric are
 * grouped (metric name printed once). Missing values print `n/a`.
 */
export function printTable(title: string, rows: readonly Row[], out: (s: string) => void = (s) => process.stdout.write(s)): void {
  const header = ['metric', 'troupe', 'peer', 'peer value', 'unit', 'troupe/peer', 'goal', 'verdict'];
  const body: string[][] = [];
  let prevMetric: string | undefined;
  for (const row of rows) {
    const { ratio, verdict } = ratioCell(row);
    body.push([
      row.metric === prevMetric ? '' : row.metric,
      fmt(row.troupe),
      row.peer,
      fmt(row.peerValue),
      row.unit,
      ratio,
      row.higherIsBetter ? 'higher' : 'lower',
      verdict,
    ]);
    prevMetric = row.metric;
  }
  const numeric = new Set([1, 3, 5]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  // Drop the verdict column while no row has one (no troupe values yet).
  const hasVerdict = body.some((r) => r[7] !== '');
  const cols = header.map((_, c) => c).filter((c) => c !== 7 || hasVerdict);
  const line = (cells: string[]) =>
    cols
      .map((c) => (numeric.has(c) ? cells[c]!.padStart(widths[c]!) : cells[c]!.padEnd(widths[c]!)))
      .join(' | ')
      .trimEnd();
  const sep = cols.map((c) => '-'.repeat(widths[c]!)).join('-+-');
  out(`\n== ${title} ==\n`);
  out(line(header) + '\n');
  out(sep.trimEnd() + '\n');
  for (const r of body) out(line(r) + '\n');
}

// ------------------------------------------------------------- row helpers --

/** An extra number that has no row of its own: logged, never fatal. */
export async function extra(label: string, unit: string, fn: () => Promise<number>): Promise<number | undefined> {
  try {
    const value = await fn();
    progress(`troupe:   ${label}: ${fmt(value)} ${unit}`);
    return value;
  } catch (error) {
    progress(`troupe:   ${label}: FAILED ${(error as Error)?.stack ?? String(error)}`);
    return undefined;
  }
}

/**
 * Calls `name` exported by a sibling bench module (another helper's file) if that module exists;
 * undefined if it or the function is missing, or if it throws (logged).
 */
export async function delegate(file: string, name: string, ...args: unknown[]): Promise<number | undefined> {
  const url = new URL(`./${file}.ts`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  try {
    const module = (await import(url.href)) as Record<string, unknown>;
    const fn = module[name];
    if (typeof fn !== 'function') return undefined;
    const value = (await fn(...args)) as unknown;
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  } catch (error) {
    progress(`troupe: ${file}.ts ${name}(${args.map((a) => JSON.stringify(a)).join(', ')}) failed: ${(error as Error)?.stack ?? String(error)}`);
    return undefined;
  }
}
