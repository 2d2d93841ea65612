/**
 * AsyncResult, as in CPython's multiprocessing/pool.py: the handle `applyAsync`/`mapAsync`
 * return. It settles once; callbacks run before it reports ready (Python's order); a result nobody
 * asks for never becomes an unhandled rejection.
 */
import { TimeoutError, ValueError } from '../errors.js';
import { describe } from '../describe.js';

type State = 'pending' | 'ok' | 'error';

/** The result of `applyAsync`, `mapAsync` or `starmapAsync`. */
export class AsyncResult<T> {
  private state: State = 'pending';
  private value: unknown;
  private readonly settled: Promise<void>;
  private resolveSettled!: () => void;
  private readonly callback: ((result: T) => void) | undefined;
  private readonly errorCallback: ((error: Error) => void) | undefined;
  /** where a throwing callback is reported (the pool's logger) */
  private readonly report: (error: unknown) => void;

  /** @internal created by Pool */
  constructor(callback: ((result: T) => void) | undefined, errorCallback: ((error: Error) => void) | undefined, report: (error: unknown) => void) {
    if (callback !== undefined && callback !== null && typeof callback !== 'function') throw new ValueError('callback must be a function');
    if (errorCallback !== undefined && errorCallback !== null && typeof errorCallback !== 'function') throw new ValueError('errorCallback must be a function');
    this.callback = callback ?? undefined;
    this.errorCallback = errorCallback ?? undefined;
    this.report = report;
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
  }

  /**
   * Resolves the result, or rejects with the task's error. With `timeout` (ms), rejects
   * TimeoutError if the result is not ready by then (the task keeps running).
   */
  async get(timeout?: number | null): Promise<T> {
    if (this.state === 'pending' && !(await this.waitFor(timeout))) {
      throw new TimeoutError(`the result was not ready within ${timeout} ms; call get() again to keep waiting, or raise the timeout`);
    }
    if (this.state === 'error') throw this.value;
    return this.value as T;
  }

  /** Resolves once the result is ready, or after `timeout` ms, whichever comes first. */
  async wait(timeout?: number | null): Promise<void> {
    await this.waitFor(timeout);
  }

  /** Whether the call has completed. */
  ready(): boolean {
    return this.state !== 'pending';
  }

  /** Whether the call completed without raising; ValueError if it is not ready yet. */
  successful(): boolean {
    if (this.state === 'pending') throw new ValueError('the result is not ready; await wait() or check ready() before successful()');
    return this.state === 'ok';
  }

  /** @internal settles once; later calls are ignored. */
  settle(ok: boolean, value: unknown): void {
    if (this.state !== 'pending') return;
    const callback = ok ? this.callback : this.errorCallback;
    if (callback) {
      try {
        (callback as (v: unknown) => void)(value);
      } catch (error) {
        this.report(error);
      }
    }
    this.state = ok ? 'ok' : 'error';
    this.value = value;
    this.resolveSettled();
  }

  private async waitFor(timeout: number | null | undefined): Promise<boolean> {
    if (this.state !== 'pending') return true;
    if (timeout === undefined || timeout === null) {
      await this.settled;
      return true;
    }
    if (typeof timeout !== 'number' || Number.isNaN(timeout)) throw new ValueError(`timeout must be a number of milliseconds or null (got ${describe(timeout)})`);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, timeout))));
    const ready = await Promise.race([this.settled.then(() => true as const), expired]);
    clearTimeout(timer);
    return ready;
  }
}

/** Receives a job's chunks as they complete (a map's list, an apply's value, an imap stream). */
export interface Consumer {
  /** chunk `index` succeeded: its values are `values[from .. from + count)` */
  chunk(index: number, values: unknown[], from: number, count: number): void;
  /** chunk `index` failed (its task threw, or its worker died) */
  fail(index: number, error: unknown): void;
  /** nothing more will arrive (terminate, broken pool) */
  abort(error: unknown): void;
  /** the job has `chunks` chunks in all (known once a lazy iterable was read to its end) */
  total?(chunks: number): void;
}

type Entry = { values: unknown[]; from: number; count: number } | { error: unknown };
const TAKEN: Entry = { values: [], from: 0, count: 0 };

/**
 * The AsyncIterable `imap`/`imapUnordered` return (Python's IMapIterator): ordered mode yields in
 * submission order, unordered mode as chunks complete. A failed chunk rejects one `next()` where
 * its results would have been, and iteration may go on; after terminate(), whatever had not
 * arrived rejects.
 *
 * @internal created by Pool
 */
export class ResultStream implements Consumer, AsyncIterableIterator<unknown> {
  private readonly entries: Array<Entry | undefined>;
  /** unordered mode: chunk indices in arrival order */
  private readonly arrivals: number[] = [];
  /** ordered: the next chunk index; unordered: the next position in `arrivals` */
  private cursor = 0;
  private offset = 0;
  private aborted: { error: unknown } | undefined;
  private waiter: { resolve(result: IteratorResult<unknown>): void; reject(error: unknown): void } | undefined;

  /** chunks in all: Infinity until the iterable has been read to its end */
  private count = Infinity;

  constructor(private readonly ordered: boolean) {
    this.entries = [];
  }

  total(chunks: number): void {
    this.count = chunks;
    this.wake();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this;
  }

  chunk(index: number, values: unknown[], from: number, count: number): void {
    this.arrive(index, { values, from, count });
  }

  fail(index: number, error: unknown): void {
    this.arrive(index, { error });
  }

  abort(error: unknown): void {
    this.aborted ??= { error };
    this.wake();
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.waiter) return Promise.reject(new ValueError('imap results are read one at a time; await the previous next() first'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.wake();
    });
  }

  /** `break` out of `for await`: stop reading (the tasks still run, as in Python). */
  async return(): Promise<IteratorResult<unknown>> {
    this.cursor = this.count = 0;
    return { done: true, value: undefined };
  }

  private arrive(index: number, entry: Entry): void {
    if (index >= this.count || this.entries[index] !== undefined) return;
    this.entries[index] = entry;
    this.arrivals.push(index);
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.cursor >= this.count) {
      this.waiter = undefined;
      return waiter.resolve({ done: true, value: undefined });
    }
    const index = this.ordered ? this.cursor : this.arrivals[this.cursor];
    const entry = index === undefined ? undefined : this.entries[index];
    if (entry === undefined) {
      if (!this.aborted) return;
      this.waiter = undefined;
      this.cursor = this.count = 0;
      return waiter.reject(this.aborted.error);
    }
    this.waiter = undefined;
    if ('error' in entry) {
      this.entries[index!] = TAKEN;
      this.cursor++;
      return waiter.reject(entry.error);
    }
    const value = entry.values[entry.from + this.offset];
    if (++this.offset >= entry.count) {
      this.entries[index!] = TAKEN;
      this.cursor++;
      this.offset = 0;
    }
    waiter.resolve({ done: false, value });
  }
}
