/**
 * The worker side of Pool: `runBatch` runs one message's worth of chunks (from one or several
 * jobs) and answers with every chunk's results or error, so tiny tasks cost a fraction of a
 * postMessage each. Batches run one after another, as tasks do in a Python pool process; the
 * first one tells the worker who it is (PoolWorker-N, its pid: `currentProcess()` in a task) and
 * runs the initializer. Progress goes to shared memory before each chunk, so if the worker dies
 * main knows which task was running: only that one fails, the rest runs elsewhere.
 */
import { performance } from 'node:perf_hooks';
import type { Locator } from '../define.js';
import { MaybeEncodingError, serializeError } from '../errors.js';
import { checkCloneable } from '../handles.js';
import { currentHost } from '../hosts/current.js';
import { exitCodeOf, isSystemExit } from './exit.js';
import { becomeProcess } from './identity.js';
import { adoptLogConfig, currentLogLevel } from './logging.js';

/** Words of a worker's progress buffer: [batch seq running, index of the chunk running in it]. */
export const PROGRESS_WORDS = 2;

/** Consecutive chunks of one job, their items back to back. */
export interface WireGroup {
  /** index into the batch's locators */
  locator: number;
  /** 1: each item is an argument tuple (starmap, apply) */
  star: 0 | 1;
  /** items per chunk (the last chunk of the job may be shorter) */
  size: number;
  items: unknown[];
}

export interface WireBatch {
  seq: number;
  locators: Locator[];
  groups: WireGroup[];
  /** first batch only: who this worker is, and main's shared logger settings */
  worker?: { name: string; pid: number; progress: Int32Array; logConfig?: SharedArrayBuffer };
  /** first batch only: the initializer and its arguments, run before anything else */
  initializer?: [Locator, unknown[]];
}

export interface WireReply {
  /** per group: the results of its items, back to back (those of a failed chunk undefined) */
  results: unknown[][];
  /** per chunk of the batch that failed (by its position in the batch): its error */
  errors?: Record<number, unknown>;
  /** ms spent running the batch's tasks (sizes the next batches) */
  ms: number;
  /** the initializer threw: this error, and nothing ran */
  initError?: unknown;
  /** a task called exit() / process.exit(): the worker is done for; chunk = its index in the batch */
  exited?: { chunk: number; code: number };
}

/** This worker's state (one Pool worker per host; a reused host is a new worker). */
interface WorkerState {
  host: object | undefined;
  progress: Int32Array | undefined;
  /** a failed initializer or an exit: later batches get this answer */
  failed: WireReply | undefined;
  tail: Promise<unknown>;
}

const STATE = Symbol.for('troupe.poolWorker');
function state(): WorkerState {
  const host = currentHost();
  const slots = globalThis as unknown as Record<symbol, WorkerState | undefined>;
  let s = slots[STATE];
  if (!s || s.host !== host) slots[STATE] = s = { host, progress: undefined, failed: undefined, tail: Promise.resolve() };
  return s;
}

/** Runs a batch after the previous one finished (the host may deliver the next one early). */
export function runBatch(batch: WireBatch): Promise<WireReply> {
  const s = state();
  const run = s.tail.then(() => execute(s, batch));
  s.tail = run.catch(() => {});
  return run;
}

async function execute(s: WorkerState, batch: WireBatch): Promise<WireReply> {
  if (batch.worker) {
    s.progress = batch.worker.progress;
    adoptLogConfig(batch.worker.logConfig);
    becomeProcess({
      name: batch.worker.name,
      identity: [],
      pid: batch.worker.pid,
      daemon: true,
      id: `pool:${batch.worker.name}`,
      parent: { name: 'MainProcess', pid: process.pid, id: null },
      logLevel: currentLogLevel(),
    });
  }
  if (batch.initializer) {
    try {
      const init = (await load(batch.initializer[0])) as (...args: unknown[]) => unknown;
      await init(...batch.initializer[1]);
    } catch (error) {
      s.failed = { results: [], ms: 0, initError: serializeError(error) };
    }
  }
  if (s.failed) return s.failed;
  const progress = s.progress;
  if (progress) Atomics.store(progress, 0, batch.seq);
  const fns = (await Promise.all(batch.locators.map(load))) as Array<(...args: unknown[]) => unknown>;
  const started = performance.now();
  const reply: WireReply = { results: [], ms: 0 };
  let position = 0;
  for (const group of batch.groups) {
    const fn = fns[group.locator]!;
    const results = new Array<unknown>(group.items.length);
    reply.results.push(results);
    for (let start = 0; start < group.items.length; start += group.size, position++) {
      if (progress) Atomics.store(progress, 1, position);
      const end = Math.min(start + group.size, group.items.length);
      const outcome = await runChunk(fn, group.star, group.items, start, end, results);
      if (outcome === undefined) continue;
      if ('exit' in outcome) {
        reply.exited = { chunk: position, code: outcome.exit };
        s.failed = { results: [], ms: 0, exited: { chunk: 0, code: outcome.exit } };
        reply.ms = performance.now() - started;
        return reply;
      }
      (reply.errors ??= {})[position] = outcome.error;
      results.fill(undefined, start, end);
    }
  }
  if (progress) Atomics.store(progress, 1, position);
  reply.ms = performance.now() - started;
  return reply;
}

/** A chunk that did not succeed: its error, or the worker's exit. */
type Failure = { error: unknown } | { exit: number };

/** Runs items [start, end) into `results` (same indexes); undefined when the chunk succeeded. */
async function runChunk(fn: (...args: unknown[]) => unknown, star: 0 | 1, items: unknown[], start: number, end: number, results: unknown[]): Promise<Failure | undefined> {
  try {
    for (let i = start; i < end; i++) {
      let value = star === 1 ? fn(...(items[i] as unknown[])) : fn(items[i]);
      if (value !== null && typeof value === 'object' && typeof (value as Promise<unknown>).then === 'function') value = await value;
      results[i] = value;
    }
  } catch (error) {
    // Python's SystemExit is not an Exception: it ends the worker, not just the task
    if (isSystemExit(error)) return { exit: exitCodeOf(error.code) };
    return { error: serializeError(error) };
  }
  for (let i = start; i < end; i++) {
    try {
      checkCloneable(results[i], 'result');
    } catch (reason) {
      return { error: serializeError(new MaybeEncodingError(`Error sending result: '${describe(results[i])}'. Reason: '${(reason as Error).message}'`)) };
    }
  }
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'object' && value !== null) return `${value.constructor?.name ?? 'Object'} {…}`;
  return String(value);
}

function load(locator: Locator): Promise<unknown> {
  const host = currentHost();
  if (!host) throw new Error('runBatch runs in a pool worker');
  return host.loadFunction(locator);
}
