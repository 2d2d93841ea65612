/**
 * A Pool call's work as the scheduler sees it: its items cut into chunks of `chunksize` (Python's
 * unit of work, of error and of maxtasksperchild), read from the iterable up front (map) or only as
 * workers need them (imap: an error thrown by the iterable comes after the results of the chunks
 * read before it, as Python's guarded task generation does). Chunks are handed out as ranges of
 * consecutive chunks (no object per chunk); a dead worker's unrun ranges come back first. Also:
 * where a target is found, and how a task's error is re-created with the worker's stack.
 */
import { isTask, type Locator } from '../define.js';
import { reviveError, ValueError } from '../errors.js';
import { checkCloneable } from '../handles.js';
import { locateTarget, sourceLocator } from '../target.js';
import type { Consumer } from './async-result.js';
import { describe } from '../describe.js';

/** Chunks `first .. first + count - 1` of a job. */
export interface Range {
  job: Job;
  first: number;
  count: number;
}

export class Job {
  /** every item read so far, flat (for map: the items themselves) */
  private readonly items: unknown[];
  /** chunks read so far */
  private read = 0;
  private done = false;
  /** ranges of chunks read and not sent, in order */
  private readonly ready: Array<[first: number, count: number]> = [];
  /** chunks sent and not settled */
  outstanding = 0;

  constructor(
    readonly locator: Locator,
    readonly star: 0 | 1,
    private readonly source: Iterator<unknown> | unknown[],
    readonly chunksize: number,
    readonly consumer: Consumer,
    private readonly what: string,
  ) {
    if (Array.isArray(source)) {
      // known up front: every chunk is ready at once
      this.items = source;
      this.read = Math.ceil(source.length / chunksize);
      this.done = true;
      if (this.read > 0) this.ready.push([0, this.read]);
      consumer.total?.(this.read);
    } else {
      this.items = [];
    }
  }

  /** Nothing left to send and nothing outstanding: the job is complete. */
  get finished(): boolean {
    return this.done && this.ready.length === 0 && this.outstanding === 0;
  }

  /** Chunks that could be sent now (reads one more chunk from a lazy iterable if none is read). */
  get available(): boolean {
    if (this.ready.length === 0 && !this.done) this.readChunk();
    return this.ready.length > 0;
  }

  /** Chunks not sent yet: exact for map, a lower bound for a lazy job. */
  get queued(): number {
    let n = this.done ? 0 : 1;
    for (const [, count] of this.ready) n += count;
    return n;
  }

  /** Up to `max` consecutive chunks to send now, or undefined. */
  take(max: number): Range | undefined {
    if (!this.available) return undefined;
    const head = this.ready[0]!;
    const count = Math.min(max, head[1]);
    const range: Range = { job: this, first: head[0], count };
    if (count === head[1]) this.ready.shift();
    else this.ready[0] = [head[0] + count, head[1] - count];
    this.outstanding += count;
    return range;
  }

  /** The items of chunks `first .. first + count - 1`, flat. */
  itemsOf(first: number, count: number): unknown[] {
    const from = first * this.chunksize;
    const to = Math.min(this.items.length, (first + count) * this.chunksize);
    return from === 0 && to === this.items.length ? this.items : this.items.slice(from, to);
  }

  /** Items in chunk `index` (the last chunk may be short). */
  sizeOf(index: number): number {
    return Math.min(this.chunksize, this.items.length - index * this.chunksize);
  }

  /** Chunks a dead worker never ran go back first. */
  putBack(first: number, count: number): void {
    if (count <= 0) return;
    this.outstanding -= count;
    this.ready.unshift([first, count]);
  }

  /** Sent chunks settled (result or error). */
  settled(count = 1): void {
    this.outstanding -= count;
  }

  private readChunk(): void {
    const iterator = this.source as Iterator<unknown>;
    const start = this.items.length;
    try {
      while (this.items.length - start < this.chunksize) {
        const step = iterator.next();
        if (step.done) break;
        if (this.star === 1 && !Array.isArray(step.value)) throw new ValueError('starmap needs an iterable of argument arrays (Python: tuples)');
        this.items.push(step.value);
      }
      if (this.items.length > start) checkCloneable(this.items.slice(start), `${this.what} arguments`);
    } catch (error) {
      // the iterable failed: the chunks read before it still run; then the iteration ends here
      this.items.length = start;
      this.done = true;
      this.consumer.fail(this.read, error);
      this.consumer.total?.(this.read + 1);
      return;
    }
    if (this.items.length > start) this.ready.push([this.read++, 1]);
    if (this.items.length - start < this.chunksize) {
      this.done = true;
      this.consumer.total?.(this.read);
    }
  }
}

const located = new WeakMap<Function, Locator>();

/** The locator of a Pool target, at once when known (self-contained functions fail here). */
export function locate(fn: unknown, what: string): Locator | Promise<Locator> {
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
export function recreateError(serialized: unknown): unknown {
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

export function checkChunksize(chunksize: unknown): number | undefined {
  if (chunksize === undefined || chunksize === null) return undefined;
  if (typeof chunksize !== 'number' || !Number.isInteger(chunksize) || chunksize < 1) {
    throw new ValueError(`Chunksize must be 1+, not ${describe(chunksize)}`);
  }
  return chunksize;
}

/** The iterator of an iterable argument (ValueError for anything else). */
export function iteratorOf(iterable: unknown, what: string): Iterator<unknown> {
  if (iterable === null || iterable === undefined || typeof (iterable as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new ValueError(`${what} needs an iterable of items (an array, a Set, a generator...), got ${iterable === null ? 'null' : typeof iterable}`);
  }
  return (iterable as Iterable<unknown>)[Symbol.iterator]();
}
