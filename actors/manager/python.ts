/**
 * Python's value semantics for managed objects, on JavaScript values: `==` (numbers, bigints and
 * booleans are one numeric tower; lists, dicts and bytes compare by content), `<` for sort()
 * (numbers by value, strings by code point, sequences lexicographically, anything else mixed →
 * TypeError), hashing for dict keys (1 and '1' differ; 1, 1n, 1.0 and true are one key, as in
 * Python; lists and objects are unhashable), and repr/type names for error messages.
 */
import { isProxyData } from './protocol.js';

type Numeric = number | bigint | boolean;

function isNumeric(value: unknown): value is Numeric {
  return typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Python's type name of a value (`int`, `str`, `NoneType`, `list`, `dict`, ...). */
export function typeName(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'str';
    case 'undefined':
      return 'undefined';
    case 'object':
      if (value === null) return 'NoneType';
      if (value instanceof Uint8Array) return 'bytes';
      if (Array.isArray(value)) return 'list';
      if (isProxyData(value)) return `${value.__typeid}Proxy`;
      if (isPlainObject(value)) return 'dict';
      return value.constructor?.name ?? 'object';
    default:
      return typeof value;
  }
}

/** A short Python-like repr for messages: 'text', 1, None, True, [1, 'a']. */
export function repr(value: unknown, depth = 0): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value) && depth < 2) return `[${value.map((item) => repr(item, depth + 1)).join(', ')}]`;
  return `<${typeName(value)}>`;
}

/** Python's `==`. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isNumeric(a) && isNumeric(b)) {
    const x = typeof a === 'boolean' ? Number(a) : a;
    const y = typeof b === 'boolean' ? Number(b) : b;
    // loose equality compares a bigint with a number by value
    return x == y;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  if (isProxyData(a) && isProxyData(b)) return a.__mgr === b.__mgr && a.__obj === b.__obj;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && pyEquals(a[key], b[key]));
  }
  return false;
}

/** Strings by code point (JavaScript's `<` compares UTF-16 code units, which differs past U+FFFF). */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.codePointAt(i)! < b.codePointAt(i)! ? -1 : 1;
  }
  return a.length - b.length;
}

/** Python's `a < b`; TypeError where Python raises it (mixed types, None, dicts). */
function pyLess(a: unknown, b: unknown): boolean {
  if (isNumeric(a) && isNumeric(b)) return (typeof a === 'boolean' ? Number(a) : a) < (typeof b === 'boolean' ? Number(b) : b);
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b) < 0;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
    return a.length < b.length;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (!pyEquals(a[i], b[i])) return pyLess(a[i], b[i]);
    return a.length < b.length;
  }
  throw new TypeError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/** Python's `sorted(items, reverse=...)`: stable, equal items keep their order either way. */
export function pySorted<T>(items: readonly T[], reverse: boolean): T[] {
  const order = reverse ? (x: T, y: T) => (pyLess(y, x) ? -1 : pyLess(x, y) ? 1 : 0) : (x: T, y: T) => (pyLess(x, y) ? -1 : pyLess(y, x) ? 1 : 0);
  return items.slice().sort(order);
}

/** The canonical form of a dict key: equal keys (Python's ==) hash alike; TypeError if unhashable. */
export function hashKey(key: unknown): string {
  switch (typeof key) {
    case 'string':
      return `s:${key}`;
    case 'boolean':
      return `n:${Number(key)}`;
    case 'number':
      return `n:${key === 0 ? 0 : key}`;
    case 'bigint': {
      const n = Number(key);
      return Number.isFinite(n) && BigInt(n) === key ? `n:${n}` : `n:${key}`;
    }
    case 'object':
      if (key === null) return 'None';
      if (key instanceof Uint8Array) return `b:${Buffer.from(key).toString('hex')}`;
      // a list key stands for Python's tuple
      if (Array.isArray(key)) return `t:${JSON.stringify(key.map(hashKey))}`;
  }
  throw new TypeError(`unhashable type: '${typeName(key)}' (dict keys are strings, numbers, bigints, booleans, null, bytes, or arrays of those)`);
}
