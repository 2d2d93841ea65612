/**
 * Value and Array, CPython's synchronized wrappers (Synchronized, SynchronizedArray): a raw
 * shared value or array plus a lock that travels with it. `value`, `get`, `set` read and write
 * shared memory directly (sync, no message); the lock is for the caller's compound updates
 * (`await v.getLock().withLock(() => { v.value += 1; })`). The default lock is a new troupe
 * RLock, robust like every troupe lock: a holder that dies never wedges it.
 */
import { reviveHandles, registerHandle } from '../../handles.js';
import type { Runtime } from '../../runtime.js';
import { RLock, type Lock } from '../synchronize/mutex.js';
import { adopt, RawArray, RawArrayObject, RawValue, RawValueObject, type SharedData } from './raw.js';
import type { TypeCode } from './typecodes.js';

/** How a Value or Array is synchronized. */
export interface SharedOptions {
  /** true (default: a new RLock), false (raw: no lock), or a Lock/RLock to use */
  lock?: boolean | Lock | RLock;
}

type Lockish = Lock | RLock;

/** The lock a new Value/Array gets from its options (Python's `lock=` argument). */
function lockFrom(options: SharedOptions | undefined): Lockish | null {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`shared value options must be an object { lock?: boolean | Lock | RLock } (got ${options === null ? 'null' : typeof options})`);
  }
  const lock = options?.lock;
  // Python: lock=True or None gives a new RLock
  if (lock === undefined || lock === null || lock === true) return new RLock();
  if (lock === false) return null;
  const candidate = lock as unknown as { __troupe?: unknown; acquire?: unknown; release?: unknown };
  if (typeof candidate === 'object' && candidate !== null && typeof candidate.acquire === 'function' && typeof candidate.release === 'function' && typeof candidate.__troupe === 'string') {
    return lock;
  }
  throw new TypeError(`lock must be true, false, or a troupe Lock/RLock (an object with acquire() that travels between processes); got ${typeof lock}`);
}

function noLock(kind: string, what: string): TypeError {
  return new TypeError(`'${kind}' object has no attribute '${what}': it was made with { lock: false } (Python's AttributeError); pass { lock: true } or a Lock to synchronize it`);
}

/**
 * A synchronized value in shared memory (Python's `multiprocessing.Value`): typecodes b B h H i I
 * f d hold numbers, l L q Q bigints. `value` is read and written in place by every process,
 * actor and thread the handle was passed to.
 *
 * @example
 * const counter = new Value('i', 0);
 * await counter.getLock().withLock(() => { counter.value += 1; });
 */
export class Value<T extends number | bigint = number> extends RawValueObject<T> {
  /** the lock of this value (null when made with `{ lock: false }`); travels with it */
  declare readonly lock: Lockish | null;

  constructor(typecode: TypeCode, value?: T, options?: SharedOptions) {
    super(typecode, value);
    (this as { __troupe: string }).__troupe = 'shared.Value';
    (this as { lock: Lockish | null }).lock = lockFrom(options);
  }

  /** The lock guarding compound updates: the default RLock or the one given; TypeError if raw. */
  getLock(): Lock | RLock {
    if (this.lock === null) throw noLock('RawValue', 'getLock');
    return this.lock;
  }

  /** The raw value object, sharing this one's memory (Python's `get_obj()`). */
  getObj(): RawValueObject<T> {
    if (this.lock === null) throw noLock('RawValue', 'getObj');
    return adopt(RawValue.prototype, 'shared.RawValue', this.typecode, this.sab) as RawValueObject<T>;
  }
}

/**
 * A synchronized array in shared memory (Python's `multiprocessing.Array`), from a size (zeros)
 * or initial items; `get(i)`, `set(i, v)`, `slice()`, iteration and `view` (the typed array).
 *
 * @example
 * const arr = new Array('i', [1, 2, 3]);
 * await arr.getLock().withLock(() => arr.set(0, arr.get(0) + 1));
 */
export class SharedArray<T extends number | bigint = number> extends RawArrayObject<T> {
  /** the lock of this array (null when made with `{ lock: false }`); travels with it */
  declare readonly lock: Lockish | null;

  constructor(typecode: TypeCode, sizeOrInitializer: number | Iterable<T>, options?: SharedOptions) {
    super(typecode, sizeOrInitializer);
    (this as { __troupe: string }).__troupe = 'shared.Array';
    (this as { lock: Lockish | null }).lock = lockFrom(options);
  }

  /** The lock guarding compound updates: the default RLock or the one given; TypeError if raw. */
  getLock(): Lock | RLock {
    if (this.lock === null) throw noLock('RawArray', 'getLock');
    return this.lock;
  }

  /** The raw array object, sharing this one's memory (Python's `get_obj()`). */
  getObj(): RawArrayObject<T> {
    if (this.lock === null) throw noLock('RawArray', 'getObj');
    return adopt(RawArray.prototype, 'shared.RawArray', this.typecode, this.sab) as RawArrayObject<T>;
  }
}

type SyncData = SharedData & { lock: unknown };

/** Rebuilds a synchronized handle on arrival, its lock with it (for the same holder). */
function reviveSync(proto: object) {
  return (data: SyncData, runtime: Runtime, holder: string): object => {
    const target = adopt(proto, data.__troupe, data.typecode, data.sab);
    (target as { lock: unknown }).lock = data.lock === null ? null : reviveHandles(data.lock, runtime, holder);
    return target;
  };
}

registerHandle('shared.Value', reviveSync(Value.prototype));
registerHandle('shared.Array', reviveSync(SharedArray.prototype));
