/**
 * Pool, as in CPython's multiprocessing/pool.py (DESIGN §4.5): Python's methods with Python's
 * positional arguments, on workers the scheduler (pool-scheduler.ts) starts lazily and feeds in
 * batches. Unlike Python's pool, a task that kills its worker rejects BrokenWorkerError (that task
 * only), the worker is replaced and the pool goes on; terminate() rejects every pending result.
 */
import { RuntimeError, ValueError } from '../errors.js';
import { checkCloneable } from '../handles.js';
import { currentHost } from '../hosts/current.js';
import type { Locator } from '../define.js';
import { mainSystem } from '../default-system.js';
import { AsyncResult, ResultStream, type Consumer } from './async-result.js';
import { cpuCount } from './current.js';
import { multiprocessing } from './extension.js';
import { identity } from './identity.js';
import { DEBUG, mpLog } from './logging.js';
import { poolBackend, type PoolBackend, type PoolSlot } from './pool-backend.js';
import { clusterBackend } from './pool-cluster.js';
import { checkChunksize, iteratorOf, Job, locate } from './pool-jobs.js';
import { PoolScheduler } from './pool-scheduler.js';
import { describe } from '../describe.js';

export { AsyncResult } from './async-result.js';

/** Options of `new Pool(processes, options)`, as Python's keyword arguments. */
export interface PoolOptions {
  /** runs once in each worker, with `initargs`, before its first task */
  initializer?: (...args: any[]) => unknown;
  initargs?: readonly unknown[];
  /** chunks a worker runs before it is replaced by a fresh one (default: never) */
  maxtasksperchild?: number | null;
  /** §10: run tasks on the pool workers of every node of the cluster */
  cluster?: boolean;
}

type Fn = (...args: any[]) => unknown;
type Result<F extends Fn> = Awaited<ReturnType<F>>;
type PoolState = 'run' | 'close' | 'terminate';

/** pids of pool workers started inside a worker: site × this + n */
const WORKER_PID_RANGE = 1_000_000;

/**
 * A pool of worker processes with Python's methods and positional arguments. `fn` is a `task()`
 * exported from a module, or a self-contained function.
 *
 * @example
 * await using pool = new Pool(4);
 * const cubes = await pool.map(cube, [1, 2, 3]);
 */
export class Pool {
  private state: PoolState = 'run';
  private readonly size: number;
  private readonly backend: PoolBackend;
  private readonly scheduler: PoolScheduler;
  /** the initializer's locator; `null` while a task() initializer is being located */
  private initializer: Locator | null | undefined;
  private readonly initargs: unknown[];
  private readonly ended: Promise<void>;
  private resolveEnded!: () => void;
  private broken: unknown;
  private finished = false;

  constructor(processes?: number | null, options: PoolOptions = {}) {
    if (processes === undefined || processes === null) processes = cpuCount();
    if (typeof processes !== 'number' || !Number.isInteger(processes) || processes < 1) {
      throw new ValueError(`Number of processes must be at least 1 (got ${describe(processes)})`);
    }
    if (typeof options !== 'object' || options === null) throw new ValueError('new Pool(processes, { initializer, initargs, maxtasksperchild }) takes an options object');
    const { initializer, initargs = [], maxtasksperchild } = options;
    if (initializer !== undefined && initializer !== null && typeof initializer !== 'function') {
      throw new TypeError(`initializer must be a callable (got ${typeof initializer})`);
    }
    if (!Array.isArray(initargs)) throw new ValueError('initargs must be an array (Python: a tuple)');
    if (maxtasksperchild !== undefined && maxtasksperchild !== null && (typeof maxtasksperchild !== 'number' || !Number.isInteger(maxtasksperchild) || maxtasksperchild < 1)) {
      throw new ValueError('maxtasksperchild must be a positive integer or None');
    }
    if (initializer) checkCloneable(initargs, 'initargs');
    this.size = processes;
    const located = initializer ? locate(initializer, 'Pool initializer') : undefined;
    this.initargs = [...initargs];
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    const events = { ended: (slot: PoolSlot) => this.onEnded(slot), terminate: () => this.terminate() };
    this.backend = options.cluster === true ? clusterBackend(events) : poolBackend(events);
    this.scheduler = new PoolScheduler({
      size: processes,
      backend: this.backend,
      maxtasks: maxtasksperchild ?? undefined,
      initializer: () => (this.initializer === null ? null : this.initializer && [this.initializer, this.initargs]),
      identity: () => workerIdentity(),
      broken: (error) => this.breakPool(error),
      idle: () => this.settleIfIdle(),
    });
    if (located instanceof Promise) {
      this.initializer = null;
      located.then(
        (locator) => {
          this.initializer = locator;
          this.scheduler.pump();
        },
        (error) => this.breakPool(error),
      );
    } else {
      this.initializer = located;
    }
    // Python runs the initializer in every worker as the pool starts
    if (initializer) for (let i = 0; i < processes; i++) this.scheduler.start();
  }

  // ---- Python's methods ---------------------------------------------------------------------------

  /** Applies `fn` to each item, in parallel; resolves the results in order (Python's map). */
  async map<F extends Fn>(fn: F, iterable: Iterable<Parameters<F>[0]>, chunksize?: number): Promise<Result<F>[]> {
    return this.mapAsync(fn, iterable, chunksize).get();
  }

  /** Like map, returning an AsyncResult at once (the iterable is read whole first). */
  mapAsync<F extends Fn>(
    fn: F,
    iterable: Iterable<Parameters<F>[0]>,
    chunksize?: number,
    callback?: (result: Result<F>[]) => void,
    errorCallback?: (error: Error) => void,
  ): AsyncResult<Result<F>[]> {
    return this.collect(fn, readAll(iterable, 'map'), 0, chunksize, callback, errorCallback, 'mapAsync');
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
    const items = readAll(iterable, 'starmap');
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

  /** Results in order, as they become ready (chunksize 1 by default); the iterable is read lazily. */
  imap<F extends Fn>(fn: F, iterable: Iterable<Parameters<F>[0]>, chunksize = 1): AsyncIterable<Result<F>> {
    return this.stream(fn, iterable, chunksize, true);
  }

  /** Results in completion order; the iterable is read lazily. */
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
    this.scheduler.stop(this.broken ?? PoolScheduler.noWork());
    this.finishIfDone();
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
    if (items.length === 0) {
      this.checkRunning();
      locate(fn, `${what} target`);
      result.settle(true, values);
      return result;
    }
    this.submit(fn, items, star, size, what, {
      chunk: (index, chunkValues, from, count) => {
        for (let i = 0; i < count; i++) values[index * size + i] = chunkValues[from + i];
        if (--remaining === 0) result.settle(true, values);
      },
      fail: (_index, error) => result.settle(false, error),
      abort: (error) => result.settle(false, error),
    });
    return result;
  }

  private stream(fn: Fn, iterable: Iterable<unknown>, chunksize: number, ordered: boolean): AsyncIterable<any> {
    const size = checkChunksize(chunksize) ?? 1;
    const what = ordered ? 'imap' : 'imapUnordered';
    const stream = new ResultStream(ordered);
    this.submit(fn, iteratorOf(iterable, what), 0, size, what, stream);
    return stream;
  }

  /** Queues a job (once its target is located); errors at the boundary are thrown here. */
  private submit(fn: Fn, source: Iterator<unknown> | unknown[], star: 0 | 1, chunksize: number, what: string, consumer: Consumer): void {
    this.checkRunning();
    const locator = locate(fn, `${what} target`);
    // items known up front are checked now: what cannot travel fails the call, nothing half-sent
    if (Array.isArray(source)) checkCloneable(source, `${what} arguments`);
    const enqueue = (loc: Locator): void => {
      if (this.state === 'terminate') return consumer.abort(this.broken ?? new RuntimeError('the pool was terminated before this task started'));
      this.scheduler.submit(new Job(loc, star, source, chunksize, consumer, what));
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

  // ---- workers ending ---------------------------------------------------------------------------------

  /** A worker's host ended (closed by us, or died): the scheduler replaces it if work remains. */
  private onEnded(slot: PoolSlot): void {
    if (!this.scheduler.ended(slot)) return;
    this.settleIfIdle();
    this.finishIfDone();
  }

  /** After close(): once every job is done, the workers exit; join() resolves when they have. */
  private settleIfIdle(): void {
    if (this.state !== 'close' || this.scheduler.busy) return;
    this.scheduler.closeIdle();
    this.finishIfDone();
  }

  /** Once the pool is closed or terminated and its last worker has exited, join() resolves. */
  private finishIfDone(): void {
    if (this.state === 'run' || this.scheduler.workers.size > 0 || this.finished) return;
    if (this.state === 'close' && this.scheduler.busy) return;
    this.finished = true;
    this.backend.release();
    this.resolveEnded();
  }

  /** The initializer failed (or the system went away): nothing can run, so everything fails. */
  private breakPool(error: unknown): void {
    if (this.broken !== undefined || this.state === 'terminate') return;
    this.broken = error;
    this.state = 'terminate';
    this.scheduler.stop(error);
    this.finishIfDone();
  }
}

/** A new pool worker's name (PoolWorker-N, counted with Process-N as Python does) and pid. */
function workerIdentity(): { name: string; pid: number } {
  const thread = identity();
  thread.counter += 1;
  const name = `PoolWorker-${[...(thread.info?.identity ?? []), thread.counter].join(':')}`;
  const host = currentHost();
  const pid = host ? host.site * WORKER_PID_RANGE + (thread.counter % WORKER_PID_RANGE) : multiprocessing(mainSystem()).processes.allocatePid();
  return { name, pid };
}

/** map and starmap read the iterable whole first (Python turns it into a list). */
function readAll(iterable: unknown, what: string): unknown[] {
  if (Array.isArray(iterable)) return iterable;
  return Array.from({ [Symbol.iterator]: () => iteratorOf(iterable, what) });
}
