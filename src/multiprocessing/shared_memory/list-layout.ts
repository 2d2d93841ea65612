/**
 * How a ShareableList lies in its SharedMemory, after CPython's layout: the item count, the
 * allocated offset of every slot, a Python struct format per slot (`q`, `d`, `xxxxxxx?` for
 * booleans, `xxxxxx?x` for None, `<n>s` for str/bytes — what `format` shows), a type code per
 * slot, and the data. Numbers, booleans and null take 8 bytes; a string or bytes slot takes its
 * UTF-8 length rounded up to the next multiple of 8 (Python's allocation) and can never grow.
 * Unlike CPython, the exact byte length of str/bytes items is kept, so trailing NULs survive.
 * Little-endian throughout.
 */
import { ValueError } from '../../errors.js';

/** What a slot may hold. */
export type ShareableItem = number | bigint | boolean | string | Uint8Array | null;

/** Type codes (one byte per slot). */
const Code = { Int: 0, Str: 1, Bytes: 2, None: 3, Float: 4, Bool: 5, BigInt: 6 } as const;
type Code = (typeof Code)[keyof typeof Code];

const ALIGN = 8;
const FORMAT_BYTES = 8;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An item ready to store: its code, Python format, and bytes for str/bytes items. */
interface Encoded {
  code: Code;
  format: string;
  bytes?: Uint8Array;
}

/** Where the tables and the data start, for `n` slots. */
export interface Tables {
  n: number;
  offsets: number;
  formats: number;
  codes: number;
  lengths: number;
  data: number;
}

const up = (x: number): number => Math.ceil(x / ALIGN) * ALIGN;

/** The layout of a list of `n` slots. */
export function tables(n: number): Tables {
  const offsets = 8;
  const formats = offsets + 8 * (n + 1);
  const codes = formats + FORMAT_BYTES * n;
  const lengths = up(codes + n);
  const data = up(lengths + 4 * n);
  return { n, offsets, formats, codes, lengths, data };
}

/** Python's `_types_mapping`, for the items JavaScript has. */
function encode(item: unknown): Encoded {
  switch (typeof item) {
    case 'number':
      return Number.isSafeInteger(item) && !Object.is(item, -0) ? { code: Code.Int, format: 'q' } : { code: Code.Float, format: 'd' };
    case 'bigint':
      if (BigInt.asIntN(64, item) !== item) throw new ValueError(`ShareableList holds 64-bit integers: ${item}n is out of range`);
      return { code: Code.BigInt, format: 'q' };
    case 'boolean':
      return { code: Code.Bool, format: 'xxxxxxx?' };
    case 'string':
      return sized(Code.Str, encoder.encode(item));
    case 'object':
      if (item === null) return { code: Code.None, format: 'xxxxxx?x' };
      if (item instanceof Uint8Array) return sized(Code.Bytes, item.slice());
  }
  throw new TypeError(`a ShareableList item must be a number, bigint, boolean, string, Uint8Array or null (got ${item === undefined ? 'undefined' : typeof item === 'object' ? (item?.constructor?.name ?? 'object') : typeof item})`);
}

function sized(code: Code, bytes: Uint8Array): Encoded {
  const format = `${allocation(bytes.length)}s`;
  // the format must fit its 8-byte slot, as CPython asserts
  if (format.length > FORMAT_BYTES) throw new ValueError(`a ShareableList str/bytes item may hold up to 9999991 bytes (got ${bytes.length})`);
  return { code, format, bytes };
}

/** Python's allocation for a str/bytes item: its length rounded up past the next multiple of 8. */
function allocation(length: number): number {
  return ALIGN * (Math.floor(length / ALIGN) + 1);
}

/** The size of the slot a new list gives `item` (checked: TypeError/ValueError for bad items). */
export function slotSize(item: unknown): number {
  const encoded = encode(item);
  return encoded.bytes === undefined ? ALIGN : allocation(encoded.bytes.length);
}

/** Writes the header and tables of a new list whose slots have these sizes. */
export function writeHeader(view: DataView, t: Tables, sizes: number[]): void {
  view.setBigInt64(0, BigInt(t.n), true);
  let offset = 0;
  view.setBigInt64(t.offsets, 0n, true);
  sizes.forEach((size, i) => {
    offset += size;
    view.setBigInt64(t.offsets + 8 * (i + 1), BigInt(offset), true);
  });
}

/** The byte size of the data area for these slot sizes, and so of the whole block. */
export function blockSize(t: Tables, sizes: number[]): number {
  return t.data + sizes.reduce((a, b) => a + b, 0);
}

/** The offset of slot `i` in the block and its allocated size. */
export function slot(view: DataView, t: Tables, i: number): { at: number; room: number } {
  const start = Number(view.getBigInt64(t.offsets + 8 * i, true));
  const end = Number(view.getBigInt64(t.offsets + 8 * (i + 1), true));
  return { at: t.data + start, room: end - start };
}

/** Reads the item in slot `i`. */
export function read(view: DataView, bytes: Uint8Array, t: Tables, i: number): ShareableItem {
  const { at } = slot(view, t, i);
  const code = view.getUint8(t.codes + i) as Code;
  switch (code) {
    case Code.Int:
      return Number(view.getBigInt64(at, true));
    case Code.BigInt:
      return view.getBigInt64(at, true);
    case Code.Float:
      return view.getFloat64(at, true);
    case Code.Bool:
      return view.getUint8(at + 7) !== 0;
    case Code.None:
      return null;
    case Code.Str:
    case Code.Bytes: {
      const length = view.getUint32(t.lengths + 4 * i, true);
      const copy = bytes.slice(at, at + length);
      return code === Code.Str ? decoder.decode(copy) : copy;
    }
    default:
      throw new ValueError(`slot ${i} of this ShareableList has an unknown type code ${String(code)}: the memory is not a ShareableList`);
  }
}

/**
 * Writes `item` into slot `i` (the format changes with the item's type, as in Python; a str/bytes
 * slot keeps its `<n>s` format). ValueError if a str/bytes item needs more than the slot has.
 */
export function write(view: DataView, bytes: Uint8Array, t: Tables, i: number, item: unknown): void {
  const encoded = encode(item);
  const { at, room } = slot(view, t, i);
  let format = encoded.format;
  if (encoded.bytes !== undefined) {
    if (encoded.bytes.length > room) throw new ValueError(`bytes/str item exceeds available storage: it needs ${encoded.bytes.length} bytes, slot ${i} has ${room}`);
    const current = readFormat(bytes, t, i);
    format = current.endsWith('s') ? current : `${room}s`;
    bytes.fill(0, at, at + room);
    bytes.set(encoded.bytes, at);
    view.setUint32(t.lengths + 4 * i, encoded.bytes.length, true);
  } else {
    view.setBigInt64(at, 0n, true);
    if (encoded.code === Code.Int) view.setBigInt64(at, BigInt(item as number), true);
    else if (encoded.code === Code.BigInt) view.setBigInt64(at, item as bigint, true);
    else if (encoded.code === Code.Float) view.setFloat64(at, item as number, true);
    else if (encoded.code === Code.Bool) view.setUint8(at + 7, item ? 1 : 0);
  }
  writeFormat(bytes, t, i, format);
  view.setUint8(t.codes + i, encoded.code);
}

/** The Python struct format of slot `i`. */
export function readFormat(bytes: Uint8Array, t: Tables, i: number): string {
  const raw = bytes.subarray(t.formats + FORMAT_BYTES * i, t.formats + FORMAT_BYTES * (i + 1));
  const end = raw.indexOf(0);
  return decoder.decode(raw.slice(0, end < 0 ? FORMAT_BYTES : end));
}

function writeFormat(bytes: Uint8Array, t: Tables, i: number, format: string): void {
  const at = t.formats + FORMAT_BYTES * i;
  bytes.fill(0, at, at + FORMAT_BYTES);
  bytes.set(encoder.encode(format), at);
}
