/**
 * Pool, as in CPython's multiprocessing/pool.py, on exclusive pooled workers. Work is cut into
 * chunks of `chunksize` items (Python's unit of work, of error and of maxtasksperchild); several
 * chunks travel in one message, sized from the measured task time, so tiny tasks are cheap and
 * slow ones still spread over every worker. Unlike Python's pool, a task that kills its worker
 * rejects BrokenWorkerError (with the rest of that worker's in-flight batch), the worker is
 * replaced and the pool goes on; terminate() rejects every pending result at once.
 */
import { isTask, type Locator } from '../define.js';
import { BrokenWorkerError, reviveError, RuntimeError, ValueError } from '../errors.js';
import { checkCloneable } from '../handles.js';
import { AsyncResult, ResultStream, type Consumer } from './async-result.js';
import { DEBUG, mpLog } from './logging.js';
import { poolBackend, type PoolBackend, type PoolSlot } from './pool-backend.js';
import { cpuCount } from './process.js';
import type { WireBatch, WireGroup, WireReply } from './pool-worker.js';
import { locateTarget, sourceLocator } from '../target.js';

export { AsyncResult } from './async-result.js';

/** Options of `new Pool(processes, options)`, as Python's keyword arguments. */
export interface PoolOptions {
  /** runs once in each worker, with `initargs`, before its first task */
  initializer?: (...args: any[]) => unknown;
  initargs?: readonly unknown[];
  /** chunks a worker runs before it is replaced by a fresh one (default: never) */
  maxtasksperchild?: number | null;
}

type Fn = (...args: any[]) => unknown;
type Result<F extends Fn> = Awaited<ReturnType<F>>;

/** target ms of task time per message, once the task time is known */
const BATCH_MS = 4;
const MAX_BATCH_CHUNKS = 2048;
const MAX_BATCH_ITEMS = 8192;
/** batches in flight per worker when tasks are tiny: the next one waits in the worker while the current one runs */
const PIPELINE = 2;
/** ms per chunk below which a worker is sent its next batch before it finished the current one */
const PIPELINE_BELOW_MS = 1;

/** One call's work: its items, cut into chunks. */
class Job {
  /** the next chunk to send */
  next = 0;
  /** chunks not completed yet */
  pending: number;
  readonly chunks: number;
  constructor(
    readonly locator: Locator,
    readonly star: 0 | 1,
    readonly items: unknown[],
    readonly chunksize: number,
    readonly consumer: Consumer,
  ) {
    this.chunks = Math.ceil(items.length / chunksize);
    this.pending = this.chunks;
  }
}

/** Chunks `first .. first + count` of a job, sent in one batch. */
interface Part {
  job: Job;
  first: number;
  count: number;
}

interface Worker {
  slot: PoolSlot;
  name: string;
  inflight: number;
  inflightChunks: number;
  done: number;
  /** has been sent its first batch (which carries its name, log settings, initializer) */
  started: boolean;
  /** no more batches: it is closing (maxtasksperchild, close) or ended */
  retired: boolean;
  ended: boolean;
}

type PoolState = 'run' | 'close' | 'terminate';

let workerCount = 0;
const located = new WeakMap<Function, Locator>();

/** The locator of a Pool target, at once when known (self-contained functions fail here). */
function locate(fn: unknown, what: string): Locator | Promise<Locator> {
  if (typeof fn !== 'function') throw new ValueError(`${what} must be a function (got ${fn === null ? 'null' : typeof fn})`);
  const known = located.get(fn);
  if (known) return known;
  if (!isTask(fn)) return sourceLocator(fn, what);
  return locateTarget(fn, what).then((locator) => {
    located.set(fn, locator);
    return locator;
  });
}

/** Python's RemoteTraceback: the task's error, re-created here, with the worker's stack as its cause. */
function recreateError(serialized: unknown): unknown {
  const error = reviveError(serialized);
  if (!(error instanceof Error)) return error;
  const remoteStack = error.stack ?? `${error.name}: ${error.message}`;
  const remote = new Error(`the task failed in a pool worker:\n${remoteStack}`) as Error & { remoteStack: string };
  Object.defineProperty(remote, 'name', { value: 'RemoteTraceback', enumerable: false, configurable: true, writable: true });
  remote.remoteStack = remoteStack;
  const original = (error as { cause?: unknown }).cause;
  if (original !== undefined) Object.defineProperty(remote, 'cause', { value: original, enumerable: false, configurable: true, writable: true });
  Object.defineProperty(error, 'cause', { value: remote, enumerable: false, configurable: true, writable: true });
  return error;
}

function checkChunksize(chunksize: unknown): number | undefined {
  if (chunksize === undefined || chunksize === null) return undefined;
  if (typeof chunksize !== 'number' || !Number.isInteger(chunksize) || chunksize < 1) {
    throw new ValueError(`Chunksize must be 1+, not ${String(chunksize)}`);
  }
  return chunksize;
}

function toArray(iterable: unknown, what: string): unknown[] {
  if (Array.isArray(iterable)) return iterable;
  if (iterable === null || iterable === undefined || typeof (iterable as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new ValueError(`${what} needs an iterable of items (an array, a Set, a generator...), got ${iterable === null ? 'null' : typeof iterable}`);
  }
  return Array.from(iterable as Iterable<unknown>);
}

/**
 * A pool of worker processes (exclusive pooled workers) with Python's methods and positional
 * arguments. `fn` is a `task()` exported from a module, or a self-contained function.
 *
 * @example
 * await using pool = new Pool(4);
 * const cubes = await pool.map(cube, [1, 2, 3]);
 */
export class Pool {
  private state: PoolState = 'run';
  private readonly size: number;
  private readonly backend: PoolBackend;
  private readonly workers = new Set<Worker>();
  private readonly queue: Job[] = [];
  /** the initializer's locator; `null` while a task() initializer is being located */
  private initializer: Locator | null | undefined;
  private readonly initargs: unknown[];
  private readonly maxtasks: number | undefined;
  /** moving average of ms per chunk, reported by the workers (undefined until the first reply) */
  private chunkMs: number | undefined;
  private readonly jobs = new Set<Job>();
  private readonly ended: Promise<void>;
  private resolveEnded!: () => void;
  private broken: unknown;
  private finished = false;

  constructor(processes?: number | null, options: PoolOptions = {}) {
    if (processes === undefined || processes === null) processes = cpuCount();
    if (typeof processes !== 'number' || !Number.isInteger(processes) || processes < 1) {
      throw new ValueError(`Number of processes must be at least 1 (got ${String(processes)})`);
    }
    if (typeof options !== 'object' || options === null) throw new ValueError('new Pool(processes, { initializer, initargs, maxtasksperchild }) takes an options object');
    const { initializer, initargs = [], maxtasksperchild } = options;
    if (initializer !== undefined && initializer !== null && typeof initializer !== 'function') throw new ValueError('initializer must be a function');
    if (!Array.isArray(initargs)) throw new ValueError('initargs must be an array (Python: a tuple)');
    if (maxtasksperchild !== undefined && maxtasksperchild !== null && (!Number.isInteger(maxtasksperchild) || maxtasksperchild < 1)) {
      throw new ValueError('maxtasksperchild must be a positive integer or null');
    }
    if (initializer) checkCloneable(initargs, 'initargs');
    this.size = processes;
    const located = initializer ? locate(initializer, 'Pool initializer') : undefined;
    this.initargs = [...initargs];
    this.maxtasks = maxtasksperchild ?? undefined;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.backend = poolBackend({ ended: (slot) => this.onEnded(slot), terminate: () => this.terminate() });
    if (located instanceof Promise) {
      this.initializer = null;
      located.then(
        (locator) => {
          this.initializer = locator;
          for (const worker of this.workers) if (!worker.started) this.send(worker);
          this.pump();
        },
        (error) => this.breakPool(error),
      );
    } else {
      this.initializer = located;
    }
    for (let i = 0; i < processes; i++) this.startWorker();
  }

  // ---- Python's methods ---------------------------------------------------------------------------

  /** Applies `fn` to each item, in parallel; resolves the results in order (Python's map). */
  async map<F extends Fn>(fn: F, iterable: Iterable<Parameters<F>[0]>, chunksize?: number): Promise<Result<F>[]> {
    return this.mapAsync(fn, iterable, chunksize).get();
  }

  /** Like map, returning an AsyncResult at once. */
  mapAsync<F extends Fn>(
    fn: F,
    iterable: Iterable<Parameters<F>[0]>,
    chunksize?: number,
    callback?: (result: Result<F>[]) => void,
    errorCallback?: (error: Error) => void,
  ): AsyncResult<Result<F>[]> {
    return this.collect(fn, toArray(iterable, 'map'), 0, chunksize, callback, errorCallback, 'mapAsync');
  }

  /** Like map, with each item an argument tuple: `fn(...item)`. */
  async starmap<F extends Fn>(fn: F, iterable: Iterable<readonly unknown[]>, chunksize?: number): Promise<Result<F>[]> {
    return this.starmapAsync(fn, iterable, chunksize).get();
  }

  /** Like starmap, returning an AsyncResult at once. */
  starmapAsync<F extends Fn>(
    fn: F,
    iterable: Iterable<readonly unknown[]>,
    chunksize?: number,
    callback?: (result: Result<F>[]) => void,
    errorCallback?: (error: Error) => void,
  ): AsyncResult<Result<F>[]> {
    const items = toArray(iterable, 'starmap');
    for (const args of items) if (!Array.isArray(args)) throw new ValueError('starmap needs an iterable of argument arrays (Python: tuples)');
    return this.collect(fn, items, 1, chunksize, callback, errorCallback, 'starmapAsync');
  }

  /** Calls `fn(...args, kwargs?)` in a worker and resolves its result. */
  async apply<F extends Fn>(fn: F, args: readonly unknown[] = [], kwargs?: Record<string, unknown>): Promise<Result<F>> {
    return this.applyAsync(fn, args, kwargs).get();
  }

  /** Like apply, returning an AsyncResult at once. */
  applyAsync<F extends Fn>(
    fn: F,
    args: readonly unknown[] = [],
    kwargs?: Record<string, unknown>,
    callback?: (result: Result<F>) => void,
    errorCallback?: (error: Error) => void,
  ): AsyncResult<Result<F>> {
    if (!Array.isArray(args)) throw new ValueError('apply args must be an array (Python: a tuple)');
    if (kwargs !== undefined && kwargs !== null && typeof kwargs !== 'object') throw new ValueError('apply kwargs must be an object');
    const call = kwargs ? [...args, kwargs] : [...args];
    const result = new AsyncResult<Result<F>>(callback, errorCallback, this.reportCallbackError);
    this.submit(fn, [call], 1, 1, 'applyAsync', {
      chunk: (_index, values, from) => result.settle(true, values[from]),
      fail: (_index, error) => result.settle(false, error),
      abort: (error) => result.settle(false, error),
    });
    return result;
  }

  /** Results in order, as they become ready (chunksize 1 by default). */
  imap<F extends Fn>(fn: F, iterable: Iterable<Parameters<F>[0]>, chunksize = 1): AsyncIterable<Result<F>> {
    return this.stream(fn, iterable, chunksize, true);
  }

  /** Results in completion order. */
  imapUnordered<F extends Fn>(fn: F, iterable: Iterable<Parameters<F>[0]>, chunksize = 1): AsyncIterable<Result<F>> {
    return this.stream(fn, iterable, chunksize, false);
  }

  /** No more work will be submitted; workers exit once the queued work is done. */
  close(): void {
    if (this.state !== 'run') return;
    mpLog(DEBUG, 'closing pool');
    this.state = 'close';
    this.settleIfIdle();
  }

  /** Stops the workers at once; every pending result rejects. */
  terminate(): void {
    if (this.state === 'terminate') return;
    mpLog(DEBUG, 'terminating pool');
    this.state = 'terminate';
    this.failAll(new RuntimeError('the pool was terminated before this task finished'));
    this.stopWorkers();
  }

  /** Waits for the workers to exit; call close() or terminate() first (Python's rule). */
  async join(): Promise<void> {
    if (this.state === 'run') throw new ValueError('Pool is still running; call close() or terminate() before join()');
    mpLog(DEBUG, 'joining pool');
    await this.ended;
  }

  /** `await using pool = new Pool()`: terminates and waits for the workers. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.terminate();
    await this.ended;
  }

  toString(): string {
    return `<Pool state=${this.state.toUpperCase()} pool_size=${this.size}>`;
  }

  // ---- submission ---------------------------------------------------------------------------------------

  private collect(fn: Fn, items: unknown[], star: 0 | 1, chunksize: number | undefined, callback: Fn | undefined, errorCallback: Fn | undefined, what: string): AsyncResult<any> {
    let size = checkChunksize(chunksize);
    if (size === undefined) {
      size = Math.floor(items.length / (this.size * 4));
      if (items.length % (this.size * 4) !== 0 || size === 0) size += 1;
    }
    const result = new AsyncResult<unknown[]>(callback as never, errorCallback as never, this.reportCallbackError);
    const values = new Array<unknown>(items.length);
    let remaining = Math.ceil(items.length / size);
    this.submit(fn, items, star, size, what, {
      chunk: (index, chunkValues, from, count) => {
        for (let i = 0; i < count; i++) values[index * size + i] = chunkValues[from + i];
        if (--remaining === 0) result.settle(true, values);
      },
      fail: (_index, error) => result.settle(false, error),
      abort: (error) => result.settle(false, error),
    });
    if (items.length === 0) result.settle(true, values);
    return result;
  }

  private stream(fn: Fn, iterable: Iterable<unknown>, chunksize: number, ordered: boolean): AsyncIterable<any> {
    const size = checkChunksize(chunksize) ?? 1;
    const items = toArray(iterable, ordered ? 'imap' : 'imapUnordered');
    const stream = new ResultStream(Math.ceil(items.length / size), ordered);
    this.submit(fn, items, 0, size, ordered ? 'imap' : 'imapUnordered', stream);
    return stream;
  }

  /** Queues a job (once its target is located); errors at the boundary are thrown here. */
  private submit(fn: Fn, items: unknown[], star: 0 | 1, chunksize: number, what: string, consumer: Consumer): void {
    this.checkRunning();
    const locator = locate(fn, `${what} target`);
    if (items.length === 0) return;
    checkCloneable(items, `${what} arguments`);
    const enqueue = (loc: Locator): void => {
      if (this.state === 'terminate') return consumer.abort(this.broken ?? new RuntimeError('the pool was terminated before this task started'));
      const job = new Job(loc, star, items, chunksize, consumer);
      this.jobs.add(job);
      this.queue.push(job);
      this.pump();
    };
    if (locator instanceof Promise) locator.then(enqueue, (error) => consumer.abort(error));
    else enqueue(locator);
  }

  private checkRunning(): void {
    if (this.broken !== undefined) throw this.broken;
    if (this.state !== 'run') throw new ValueError(`Pool not running (it was ${this.state === 'close' ? 'closed' : 'terminated'}); create a new Pool for more work`);
  }

  private readonly reportCallbackError = (error: unknown): void => {
    this.backend.log.error({ err: error }, 'a Pool result callback threw');
  };

  // ---- workers and batches --------------------------------------------------------------------------------

  private startWorker(): void {
    const worker: Worker = {
      slot: undefined as unknown as PoolSlot,
      name: `PoolWorker-${++workerCount}`,
      inflight: 0,
      inflightChunks: 0,
      done: 0,
      started: false,
      retired: false,
      ended: false,
    };
    worker.slot = this.backend.start();
    this.workers.add(worker);
    // Python runs the initializer as the worker starts, even if no task ever comes.
    if (this.initializer) this.send(worker);
  }

  /** How many chunks the next batch to `worker` may take. */
  private batchLimit(worker: Worker): number {
    let limit = this.chunkMs === undefined ? 1 : Math.max(1, Math.floor(BATCH_MS / Math.max(this.chunkMs, 1e-6)));
    let queued = 0;
    for (const job of this.queue) queued += job.chunks - job.next;
    // leave a fair share for every worker, so slow tasks still spread out
    limit = Math.min(limit, MAX_BATCH_CHUNKS, Math.ceil(queued / this.size));
    if (this.maxtasks !== undefined) limit = Math.min(limit, this.maxtasks - worker.done - worker.inflightChunks);
    return limit;
  }

  private pump(): void {
    if (this.state === 'terminate' || this.broken !== undefined || this.initializer === null) return;
    // idle workers first, like Python's workers pulling from one queue; then, for tiny tasks
    // only, a second batch each so no worker waits for a round trip between batches
    const depth = this.chunkMs !== undefined && this.chunkMs < PIPELINE_BELOW_MS ? PIPELINE : 1;
    for (let inflight = 0; inflight < depth; inflight++) {
      for (const worker of this.workers) {
        if (this.queue.length > 0 && !worker.retired && worker.inflight === inflight && this.batchLimit(worker) > 0) this.send(worker);
      }
    }
    this.settleIfIdle();
  }

  private send(worker: Worker): void {
    const batch: WireBatch = { l: [], g: [] };
    const parts: Part[] = [];
    const limit = this.batchLimit(worker);
    let chunks = 0;
    let items = 0;
    while (this.queue.length > 0 && chunks < limit && items < MAX_BATCH_ITEMS) {
      const job = this.queue[0]!;
      const byItems = Math.max(1, Math.floor((MAX_BATCH_ITEMS - items) / job.chunksize));
      const count = Math.min(limit - chunks, job.chunks - job.next, byItems);
      const first = job.next;
      job.next += count;
      if (job.next === job.chunks) this.queue.shift();
      const from = first * job.chunksize;
      const to = Math.min(job.items.length, (first + count) * job.chunksize);
      let l = batch.l.indexOf(job.locator);
      if (l < 0) l = batch.l.push(job.locator) - 1;
      const group: WireGroup = { l, s: job.star, k: job.chunksize, x: from === 0 && to === job.items.length ? job.items : job.items.slice(from, to) };
      batch.g.push(group);
      parts.push({ job, first, count });
      chunks += count;
      items += to - from;
    }
    if (!worker.started) {
      worker.started = true;
      batch.n = worker.name;
      const config = this.backend.logConfig();
      if (config) batch.c = config;
      if (this.initializer) batch.i = [this.initializer, this.initargs];
    }
    worker.inflight++;
    worker.inflightChunks += chunks;
    this.backend.run(worker.slot, batch).then(
      (reply) => this.onReply(worker, parts, chunks, reply),
      (error) => this.onBatchError(worker, parts, chunks, error),
    );
  }

  private onReply(worker: Worker, parts: Part[], chunks: number, reply: WireReply): void {
    this.batchDone(worker, parts, chunks);
    if (reply.ie !== undefined) return this.breakPool(recreateError(reply.ie));
    if (chunks > 0) {
      const perChunk = reply.t / chunks;
      this.chunkMs = this.chunkMs === undefined ? perChunk : this.chunkMs * 0.7 + perChunk * 0.3;
    }
    // process.exit() in a task: what ran before it is delivered, the rest was on a dead worker
    const [exitGroup, exitChunk, exitCode] = reply.x ?? [parts.length, 0, 0];
    const dead = reply.x ? new BrokenWorkerError(`the worker running this task exited with code ${exitCode} (process.exit in a task); the pool replaces it`) : undefined;
    for (let p = 0; p < parts.length; p++) {
      const { job, first, count } = parts[p]!;
      const [values, errors] = reply.o[p] ?? [[], 0];
      const failed = errors ? new Map(errors) : undefined;
      for (let c = 0; c < count; c++) {
        if (p > exitGroup || (p === exitGroup && c >= exitChunk)) job.consumer.fail(first + c, dead);
        else if (failed?.has(c)) job.consumer.fail(first + c, recreateError(failed.get(c)));
        else job.consumer.chunk(first + c, values, c * job.chunksize, Math.min(job.chunksize, job.items.length - (first + c) * job.chunksize));
      }
    }
    // the thread itself is fine (exit() threw SystemExit there): close it rather than kill it
    if (reply.x) worker.retired = true;
    this.afterBatch(worker);
  }

  private onBatchError(worker: Worker, parts: Part[], chunks: number, error: unknown): void {
    this.batchDone(worker, parts, chunks);
    for (const { job, first, count } of parts) {
      for (let c = 0; c < count; c++) job.consumer.fail(first + c, error);
    }
    if (error instanceof BrokenWorkerError) worker.retired = worker.ended = true;
    this.afterBatch(worker);
  }

  private batchDone(worker: Worker, parts: Part[], chunks: number): void {
    worker.inflight--;
    worker.inflightChunks -= chunks;
    worker.done += chunks;
    for (const part of parts) {
      part.job.pending -= part.count;
      if (part.job.pending === 0) this.jobs.delete(part.job);
    }
  }

  /** Recycles a worker that reached maxtasksperchild, then hands out more work. */
  private afterBatch(worker: Worker): void {
    if (this.maxtasks !== undefined && worker.done >= this.maxtasks) worker.retired = true;
    if (worker.retired && !worker.ended && worker.inflight === 0 && this.state !== 'terminate') this.backend.close(worker.slot);
    this.pump();
  }

  /** A worker's host ended (closed by us, or died): replace it while there is work to do. */
  private onEnded(slot: PoolSlot): void {
    const worker = [...this.workers].find((w) => w.slot === slot);
    if (!worker) return;
    this.workers.delete(worker);
    worker.ended = true;
    worker.retired = true;
    if (this.state === 'run' || (this.state === 'close' && this.queue.length > 0)) {
      try {
        this.startWorker();
      } catch (error) {
        return this.breakPool(error);
      }
    }
    this.pump();
    this.finishIfDone();
  }

  /** After close(): once every job is done, the workers exit; join() resolves when they have. */
  private settleIfIdle(): void {
    if (this.state !== 'close' || this.queue.length > 0) return;
    for (const worker of this.workers) {
      if (worker.inflight > 0) return;
    }
    for (const worker of this.workers) {
      if (!worker.retired) {
        worker.retired = true;
        this.backend.close(worker.slot);
      }
    }
    this.finishIfDone();
  }

  /** Once the pool is closed or terminated and its last worker has exited, join() resolves. */
  private finishIfDone(): void {
    if (this.state === 'run' || this.workers.size > 0 || this.finished) return;
    this.finished = true;
    this.backend.release();
    this.resolveEnded();
  }

  /** Kills the workers that are running something; idle ones just exit (their threads stay warm). */
  private stopWorkers(): void {
    for (const worker of this.workers) {
      worker.retired = true;
      if (worker.inflight > 0) this.backend.kill(worker.slot);
      else this.backend.close(worker.slot);
    }
    this.finishIfDone();
  }

  /** The initializer failed (or the system went away): nothing can run, so everything fails. */
  private breakPool(error: unknown): void {
    if (this.broken !== undefined || this.state === 'terminate') return;
    this.broken = error;
    this.state = 'terminate';
    this.failAll(error);
    this.stopWorkers();
  }

  private failAll(error: unknown): void {
    this.queue.length = 0;
    for (const job of this.jobs) job.consumer.abort(error);
    this.jobs.clear();
  }
}
