/**
 * The worker side of Pool: `runBatch` runs one message's worth of chunks (from one or several
 * jobs) and answers with every chunk's results or error, so tiny tasks cost a fraction of a
 * postMessage each. Batches run strictly one after another in a worker, as tasks do in a Python
 * pool process; the initializer runs first, and if it fails no task runs in that worker.
 */
import { performance } from 'node:perf_hooks';
import type { Locator } from '../define.js';
import { MaybeEncodingError, serializeError } from '../errors.js';
import { checkCloneable } from '../handles.js';
import { currentHost } from '../hosts/host-worker.js';
import { load } from '../hosts/load.js';

/** Consecutive chunks of one job: `x` holds their items back to back. */
export interface WireGroup {
  /** index into the batch's locators */
  l: number;
  /** 1: each item is an argument tuple (starmap, apply) */
  s: 0 | 1;
  /** items per chunk (the last chunk may be shorter) */
  k: number;
  x: unknown[];
}

export interface WireBatch {
  l: Locator[];
  g: WireGroup[];
  /** the initializer and its arguments: run before anything else in this worker */
  i?: [Locator, unknown[]];
  /** this worker's name, for log records (first batch only) */
  n?: string;
  /** the logger's shared settings (first batch only) */
  c?: Int32Array;
}

/** Per group: the flat results, and `[chunk index, error]` for each chunk that failed. */
export type WireOutcome = [results: unknown[], errors: Array<[number, unknown]> | 0];

export interface WireReply {
  o: WireOutcome[];
  /** ms spent running the batch's tasks (sizes the next batches) */
  t: number;
  /** the initializer threw: this error, and nothing ran */
  ie?: unknown;
  /** a task called process.exit(code) (or exit()): the worker is done for; [group, chunk, code] */
  x?: [number, number, number];
}

/** Thrown by runGroup when a task exits the worker (Python's SystemExit is not an Exception). */
class WorkerExit {
  constructor(
    readonly chunk: number,
    readonly code: number,
    readonly outcome: WireOutcome,
  ) {}
}

function exitCode(error: unknown): number | undefined {
  if ((error as Error | undefined)?.name !== 'SystemExit') return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : code === undefined || code === null || code === false ? 0 : 1;
}

const WORKER_NAME = Symbol.for('troupe.workerName');
const LOG_CONFIG = Symbol.for('troupe.logConfig');

const loaded = new Map<string, Promise<unknown>>();
function loadCached(locator: Locator): Promise<unknown> {
  const key = locator.by === 'export' ? `${locator.module}#${locator.exportName}` : locator.source;
  let fn = loaded.get(key);
  if (!fn) loaded.set(key, (fn = load(locator)));
  return fn;
}

let tail: Promise<unknown> = Promise.resolve();
/** a worker whose initializer failed or whose task exited runs nothing more: later batches get this */
let failed: { host: object | undefined; reply: WireReply } | undefined;

/** Runs a batch after the previous one finished (the host may deliver the next one early). */
export function runBatch(batch: WireBatch): Promise<WireReply> {
  const run = tail.then(() => execute(batch));
  tail = run.catch(() => {});
  return run;
}

async function execute(batch: WireBatch): Promise<WireReply> {
  const host = currentHost() as (object & Record<symbol, unknown>) | undefined;
  if (host && batch.n) host[WORKER_NAME] = batch.n;
  if (batch.c) (globalThis as Record<symbol, unknown>)[LOG_CONFIG] ??= batch.c;
  if (batch.i) {
    try {
      const init = (await loadCached(batch.i[0])) as (...args: unknown[]) => unknown;
      await init(...batch.i[1]);
    } catch (error) {
      failed = { host, reply: { o: [], t: 0, ie: serializeError(error) } };
      return failed.reply;
    }
  }
  if (failed && failed.host === host) return failed.reply;
  const fns = (await Promise.all(batch.l.map(loadCached))) as Array<(...args: unknown[]) => unknown>;
  const started = performance.now();
  const outcomes: WireOutcome[] = [];
  for (let g = 0; g < batch.g.length; g++) {
    try {
      outcomes.push(await runGroup(fns[batch.g[g]!.l]!, batch.g[g]!));
    } catch (exit) {
      if (!(exit instanceof WorkerExit)) throw exit;
      failed = { host, reply: { o: [], t: 0, x: [0, 0, exit.code] } };
      outcomes.push(exit.outcome);
      return { o: outcomes, t: performance.now() - started, x: [g, exit.chunk, exit.code] };
    }
  }
  return { o: outcomes, t: performance.now() - started };
}

async function runGroup(fn: (...args: unknown[]) => unknown, group: WireGroup): Promise<WireOutcome> {
  const { x: items, k: size, s: star } = group;
  const results = new Array<unknown>(items.length);
  let errors: Array<[number, unknown]> | 0 = 0;
  for (let start = 0, chunk = 0; start < items.length; start += size, chunk++) {
    const end = Math.min(start + size, items.length);
    try {
      for (let i = start; i < end; i++) {
        let value = star === 1 ? fn(...(items[i] as unknown[])) : fn(items[i]);
        if (value !== null && typeof value === 'object' && typeof (value as Promise<unknown>).then === 'function') value = await value;
        results[i] = value;
      }
    } catch (error) {
      const code = exitCode(error);
      if (code !== undefined) throw new WorkerExit(chunk, code, [results.slice(0, start), errors]);
      (errors ||= []).push([chunk, serializeError(error)]);
      results.fill(undefined, start, end);
    }
  }
  try {
    checkCloneable(results, 'result');
  } catch {
    errors = encodingErrors(results, size, errors);
  }
  return [results, errors];
}

/** Finds the chunks whose results cannot be sent and reports them as Python's MaybeEncodingError. */
function encodingErrors(results: unknown[], size: number, errors: Array<[number, unknown]> | 0): Array<[number, unknown]> {
  const out = errors || [];
  for (let start = 0, chunk = 0; start < results.length; start += size, chunk++) {
    for (let i = start; i < Math.min(start + size, results.length); i++) {
      try {
        checkCloneable(results[i], 'result');
      } catch (reason) {
        const repr = describe(results[i]);
        const error = new MaybeEncodingError(`Error sending result: '${repr}'. Reason: '${(reason as Error).message}'`);
        out.push([chunk, serializeError(error)]);
        results.fill(undefined, start, Math.min(start + size, results.length));
        break;
      }
    }
  }
  return out;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'object' && value !== null) return `${value.constructor?.name ?? 'Object'} {…}`;
  return String(value);
}
