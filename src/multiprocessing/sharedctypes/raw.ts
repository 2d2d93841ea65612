/**
 * Raw shared values and arrays, CPython's RawValue/RawArray (ctypes objects in shared memory):
 * a typed array over a SharedArrayBuffer, read and written in place — no message, no lock. A
 * handle is plain data (`{ __troupe, typecode, sab }`) so it travels to any thread; the typed
 * array over it is rebuilt locally under a symbol key (structured clone skips symbol keys).
 * Integer items are read and written with Atomics (never torn, never cached), floats plainly.
 */
import { ValueError } from '../../errors.js';
import { registerHandle } from '../../handles.js';
import { arrayItems, checkItem, codeInfo, itemIndex, sliceBounds, zeroOf, type SharedView, type TypeCode } from './typecodes.js';

/** The typed array a handle reads through (not enumerable: it never travels). */
const VIEW = Symbol('troupe.shared.view');

/** What a shared value or array handle is made of (all of it travels). */
export interface SharedData {
  __troupe: string;
  typecode: TypeCode;
  sab: SharedArrayBuffer;
}

type Item = number | bigint;

/** The typed array of a shared array of T: Int32Array, Float64Array... or BigInt64Array/BigUint64Array. */
export type ViewOf<T extends number | bigint> = (T extends bigint ? BigInt64Array | BigUint64Array : Exclude<SharedView, BigInt64Array | BigUint64Array>) &
  ArrayLike<T> & { [index: number]: T };
type Viewed = SharedData & { [VIEW]: SharedView };

/** Fills `target` with the handle data and its local view (used by constructors and revivers). */
export function setup(target: object, kind: string, typecode: TypeCode, sab: SharedArrayBuffer): void {
  const info = codeInfo(typecode);
  const self = target as SharedData;
  self.__troupe = kind;
  self.typecode = typecode;
  self.sab = sab;
  Object.defineProperty(target, VIEW, { value: new info.view(sab), enumerable: false });
}

/** A new handle of class `proto` over existing shared memory (getObj(), revival). */
export function adopt<T extends object>(proto: T, kind: string, typecode: TypeCode, sab: SharedArrayBuffer): T {
  const target = Object.create(proto) as T;
  setup(target, kind, typecode, sab);
  return target;
}

/** New shared memory holding one value (8 bytes: room for any typecode). */
function newValueMemory(typecode: TypeCode, value: unknown): SharedArrayBuffer {
  const info = codeInfo(typecode);
  const sab = new SharedArrayBuffer(8);
  const item = value === undefined ? zeroOf(info) : checkItem(typecode, info, value);
  (new info.view(sab) as { [i: number]: Item })[0] = item;
  return sab;
}

/** New shared memory for an array of a size or of initial items. */
function newArrayMemory(typecode: TypeCode, sizeOrInitializer: unknown): SharedArrayBuffer {
  const info = codeInfo(typecode);
  const { length, items } = arrayItems(typecode, info, sizeOrInitializer);
  let sab: SharedArrayBuffer;
  try {
    sab = new SharedArrayBuffer(length * info.view.BYTES_PER_ELEMENT);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // Python's ctypes says MemoryError / OverflowError here
    throw new ValueError(`cannot allocate a shared array of ${length} '${typecode}' items (${length * info.view.BYTES_PER_ELEMENT} bytes); ask for fewer`);
  }
  if (items) (new info.view(sab) as { set(items: Item[]): void }).set(items);
  return sab;
}

/** The Python name of a handle's kind: RawValue, RawArray, Value, Array. */
function kindName(self: { __troupe: string }): string {
  return self.__troupe.replace(/^shared\./, '');
}

function load(self: Viewed, index: number): Item {
  const view = self[VIEW];
  return codeInfo(self.typecode).atomic ? Atomics.load(view as Int32Array, index) : view[index]!;
}

function store(self: Viewed, index: number, value: unknown): void {
  const item = checkItem(self.typecode, codeInfo(self.typecode), value);
  const view = self[VIEW] as { [i: number]: Item };
  if (codeInfo(self.typecode).atomic) Atomics.store(view as Int32Array, index, item as number);
  else view[index] = item;
}

/** A value in shared memory (Python's ctypes object behind RawValue, and `getObj()` of a Value). */
export class RawValueObject<T extends number | bigint = number> {
  declare readonly __troupe: string;
  /** the typecode it was made with */
  declare readonly typecode: TypeCode;
  /** the shared memory holding the value */
  declare readonly sab: SharedArrayBuffer;

  /** `new RawValueObject('d', 1.5)`: the same as `new RawValue('d', 1.5)`. */
  constructor(typecode?: TypeCode, value?: T) {
    setup(this, 'shared.RawValue', typecode as TypeCode, newValueMemory(typecode as TypeCode, value));
  }

  /** The value, read from shared memory (sync, no message). */
  get value(): T {
    return load(this as unknown as Viewed, 0) as T;
  }

  /** Writes the value to shared memory; TypeError for a value of the wrong kind. */
  set value(value: T) {
    store(this as unknown as Viewed, 0, value);
  }

  toString(): string {
    return `${kindName(this)}('${this.typecode}', ${String(this.value)})`;
  }
}

/** An array in shared memory (Python's ctypes array behind RawArray, and `getObj()` of an Array). */
export class RawArrayObject<T extends number | bigint = number> implements Iterable<T> {
  declare readonly __troupe: string;
  /** the typecode it was made with */
  declare readonly typecode: TypeCode;
  /** the shared memory holding the items */
  declare readonly sab: SharedArrayBuffer;

  /** `new RawArrayObject('i', 10)`: the same as `new RawArray('i', 10)`. */
  constructor(typecode?: TypeCode, sizeOrInitializer?: number | Iterable<T>) {
    setup(this, 'shared.RawArray', typecode as TypeCode, newArrayMemory(typecode as TypeCode, sizeOrInitializer));
  }

  /** The number of items (fixed). */
  get length(): number {
    return (this as unknown as Viewed)[VIEW].length;
  }

  /** The typed array over the shared memory itself (Int32Array for 'i', BigInt64Array for 'q', ...). */
  get view(): ViewOf<T> {
    return (this as unknown as Viewed)[VIEW] as unknown as ViewOf<T>;
  }

  /** The item at `index` (negative counts from the end); RangeError out of range (IndexError). */
  get(index: number): T {
    return load(this as unknown as Viewed, itemIndex(index, this.length)) as T;
  }

  /** Writes the item at `index`; RangeError out of range, TypeError for a value of the wrong kind. */
  set(index: number, value: T): void {
    store(this as unknown as Viewed, itemIndex(index, this.length), value);
  }

  /** A copy of items [start, end) as a plain array, with Python's slice bounds (`arr[a:b]`). */
  slice(start?: number, end?: number): T[] {
    const [from, to] = sliceBounds(start, end, this.length);
    const out: T[] = [];
    for (let i = from; i < to; i++) out.push(load(this as unknown as Viewed, i) as T);
    return out;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield load(this as unknown as Viewed, i) as T;
  }

  toString(): string {
    return `${kindName(this)}('${this.typecode}', [${this.slice().map(String).join(', ')}])`;
  }
}

/**
 * A value in shared memory without a lock (Python's RawValue): `value` reads and writes it in
 * place, from any process or actor the handle was passed to.
 *
 * @example const hits = new RawValue('i'); hits.value += 1;
 */
export class RawValue<T extends number | bigint = number> extends RawValueObject<T> {
  constructor(typecode: TypeCode, value?: T) {
    super(typecode, value);
  }
}

/**
 * An array in shared memory without a lock (Python's RawArray), from a size (zeros) or from
 * initial items.
 *
 * @example const squares = new RawArray('d', [0, 1, 4, 9]);
 */
export class RawArray<T extends number | bigint = number> extends RawArrayObject<T> {
  constructor(typecode: TypeCode, sizeOrInitializer: number | Iterable<T>) {
    super(typecode, sizeOrInitializer);
  }
}

registerHandle('shared.RawValue', (data: SharedData) => adopt(RawValue.prototype, data.__troupe, data.typecode, data.sab));
registerHandle('shared.RawArray', (data: SharedData) => adopt(RawArray.prototype, data.__troupe, data.typecode, data.sab));
