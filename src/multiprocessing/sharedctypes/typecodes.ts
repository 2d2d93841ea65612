/**
 * Python's array typecodes as typed arrays over a SharedArrayBuffer (DESIGN §4.8), and ctypes'
 * rules for what may be stored: integer codes take integral numbers (out-of-range values wrap, as
 * ctypes does), float codes take any number, 64-bit codes take bigints only. Every check here
 * throws Python's error class: TypeError for a wrong kind, ValueError for a bad size.
 */
import { ValueError } from '../../errors.js';

/** b B h H i I f d: number; l L q Q: bigint. */
export type TypeCode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd';

/** A typed array over shared memory, as the typecodes give them. */
export type SharedView =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

type ViewClass = new (buffer: SharedArrayBuffer, byteOffset?: number, length?: number) => SharedView;

interface CodeInfo {
  readonly view: ViewClass & { readonly BYTES_PER_ELEMENT: number };
  /** stored as bigint (l L q Q) */
  readonly big: boolean;
  /** integral (every code but f and d) */
  readonly integer: boolean;
  /** Atomics work on it (every integer code) */
  readonly atomic: boolean;
}

const int = (view: CodeInfo['view']): CodeInfo => ({ view, big: false, integer: true, atomic: true });
const big = (view: CodeInfo['view']): CodeInfo => ({ view, big: true, integer: true, atomic: true });
const float = (view: CodeInfo['view']): CodeInfo => ({ view, big: false, integer: false, atomic: false });

// `l`/`L` are C longs: 64-bit as on Linux and macOS (LP64), so they hold bigints like q/Q here
// (CPython on Windows has a 32-bit long; we follow the 64-bit platforms).
const CODES: Readonly<Record<TypeCode, CodeInfo>> = {
  b: int(Int8Array),
  B: int(Uint8Array),
  h: int(Int16Array),
  H: int(Uint16Array),
  i: int(Int32Array),
  I: int(Uint32Array),
  l: big(BigInt64Array),
  L: big(BigUint64Array),
  q: big(BigInt64Array),
  Q: big(BigUint64Array),
  f: float(Float32Array),
  d: float(Float64Array),
};

const KNOWN = Object.keys(CODES).join(' ');

/** The typecode's description; TypeError for an unknown one (Python: "this type has no size"). */
export function codeInfo(typecode: unknown): CodeInfo {
  if (typeof typecode === 'string' && Object.hasOwn(CODES, typecode)) return CODES[typecode as TypeCode];
  throw new TypeError(`unknown typecode ${describe(typecode)}: use one of ${KNOWN} (l L q Q hold bigints)`);
}

/** The zero of a typecode (0 or 0n). */
export function zeroOf(info: CodeInfo): number | bigint {
  return info.big ? 0n : 0;
}

/** Checks that `value` may be stored under `typecode` and returns it (ctypes' rules). */
export function checkItem(typecode: TypeCode, info: CodeInfo, value: unknown): number | bigint {
  if (info.big) {
    if (typeof value === 'bigint') return value;
    throw new TypeError(`typecode '${typecode}' holds 64-bit integers as bigint: got ${describe(value)}${typeof value === 'number' && Number.isInteger(value) ? ` (write ${value}n or BigInt(${value}))` : ''}`);
  }
  if (typeof value !== 'number') throw new TypeError(`typecode '${typecode}' holds numbers: got ${describe(value)}`);
  if (info.integer && !Number.isInteger(value)) throw new TypeError(`typecode '${typecode}' holds integers: int expected instead of ${describe(value)}`);
  return value;
}

/** The length of a new array: a size (integer >= 0) or the items of an initializer. */
export function arrayItems(typecode: TypeCode, info: CodeInfo, sizeOrInitializer: unknown): { length: number; items?: (number | bigint)[] } {
  if (typeof sizeOrInitializer === 'number') {
    if (!Number.isInteger(sizeOrInitializer)) throw new TypeError(`the size of an array must be an integer (got ${String(sizeOrInitializer)})`);
    if (sizeOrInitializer < 0) throw new ValueError(`Array length must be >= 0, not ${sizeOrInitializer}`);
    return { length: sizeOrInitializer };
  }
  if (sizeOrInitializer === null || typeof sizeOrInitializer !== 'object' || typeof (sizeOrInitializer as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`an array takes a size (an integer) or an iterable of initial items (got ${describe(sizeOrInitializer)})`);
  }
  const items = [...(sizeOrInitializer as Iterable<unknown>)].map((item) => checkItem(typecode, info, item));
  return { length: items.length, items };
}

/** A Python-style index into `length` items (negative counts from the end); RangeError past it. */
export function itemIndex(index: unknown, length: number): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new TypeError(`indices must be integers (got ${describe(index)})`);
  const at = index < 0 ? index + length : index;
  if (at < 0 || at >= length) throw new RangeError(`invalid index ${index}: the array has ${length} items (IndexError)`);
  return at;
}

/** Python's slice bounds: negatives count from the end, both clamped to [0, length]. */
export function sliceBounds(start: number | undefined, end: number | undefined, length: number): [number, number] {
  const clamp = (value: number | undefined, fallback: number): number => {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`slice indices must be integers (got ${describe(value)})`);
    const at = Math.trunc(value);
    return at < 0 ? Math.max(0, at + length) : Math.min(at, length);
  };
  return [clamp(start, 0), clamp(end, length)];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return `${typeof value} ${String(value)}`;
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}
