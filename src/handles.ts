/**
 * Handles travel (DESIGN §1): a ref, queue, pipe end or lock inside a message or a Process argument
 * arrives as a working handle. Handles are objects whose own data includes `__troupe: kind`; the
 * sender checks that a message can be cloned (functions, symbols → SerializationError, nothing
 * half-sent) and the receiver swaps each marked object for a live handle from its reviver.
 */
import { SerializationError } from './errors.js';
import type { Runtime } from './runtime.js';

type Reviver = (data: any, runtime: Runtime) => object;
/** set by runtime.ts: turns on async caller tracking once facade handles are in a thread */
const TRACK = Symbol.for('troupe.trackAsyncIdentity');
// Shared by every copy of troupe loaded in this thread (built dist and src under tsx/vitest).
const SLOT = Symbol.for('troupe.revivers');
const revivers: Map<string, Reviver> = ((globalThis as Record<symbol, Map<string, Reviver> | undefined>)[SLOT] ??= new Map());

/** Registers how a handle kind is rebuilt on the receiving thread. */
export function registerHandle(kind: string, reviver: Reviver): void {
  if (!revivers.has(kind)) revivers.set(kind, reviver);
}

function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || (value as { __troupe?: unknown }).__troupe !== undefined;
}

/** classify() flags: the value holds handles to revive / cannot travel as JSON text. */
export const HAS_HANDLES = 1;
export const NOT_JSON = 2;

/**
 * Checks that `value` survives structured clone, throwing SerializationError with the path of the
 * first offending part. Returns true when it holds handles the receiver must revive.
 */
export function checkCloneable(value: unknown, path = 'message'): boolean {
  return (classify(value, path) & HAS_HANDLES) !== 0;
}

/**
 * Like checkCloneable, and also tells whether the value is plain JSON data (plain objects,
 * arrays, strings, finite numbers, booleans, null), which batches send as one JSON string —
 * cheaper than structured clone for many small messages.
 */
export function classify(value: unknown, path = 'message', depth = 0): number {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return 0;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? 0 : NOT_JSON;
    case 'function':
      throw new SerializationError(`${path} is a function, which cannot be sent between threads; send data, or an exported task()/actor`);
    case 'symbol':
      throw new SerializationError(`${path} is a symbol, which cannot be sent between threads; use a string`);
    case 'object':
      break;
    default:
      return NOT_JSON;
  }
  if (value === null) return 0;
  if (depth > 64) return NOT_JSON;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer || value instanceof Date || value instanceof RegExp || value instanceof Error) return NOT_JSON;
  let flags = (value as { __troupe?: unknown }).__troupe !== undefined ? HAS_HANDLES : 0;
  if (value instanceof Map) {
    flags |= NOT_JSON;
    for (const [k, v] of value) flags |= classify(k, `${path} key`, depth + 1) | classify(v, `${path}.get(${String(k)})`, depth + 1);
    return flags;
  }
  if (value instanceof Set) {
    flags |= NOT_JSON;
    for (const v of value) flags |= classify(v, `${path} member`, depth + 1);
    return flags;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) flags |= classify(value[i], `${path}[${i}]`, depth + 1);
    return flags;
  }
  if (!isPlainContainer(value)) {
    flags |= NOT_JSON;
    const name = (value as object).constructor?.name ?? 'object';
    if (hasPrivateState(value)) {
      throw new SerializationError(`${path} is a ${name} instance that structured clone cannot copy; send plain data instead`);
    }
  }
  for (const key in value as object) flags |= classify((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
  return flags;
}

function hasPrivateState(value: object): boolean {
  try {
    structuredClone(value);
    return false;
  } catch {
    return true;
  }
}

/** Replaces every marked object inside a received value with a live handle (in place). */
export function reviveHandles<T>(value: T, runtime: Runtime, depth = 0): T {
  if (typeof value !== 'object' || value === null || depth > 64) return value;
  const kind = (value as { __troupe?: unknown }).__troupe;
  if (typeof kind === 'string') {
    if (kind !== 'ref' && kind !== 'error') (globalThis as Record<symbol, (() => void) | undefined>)[TRACK]?.();
    const reviver = revivers.get(kind);
    return (reviver ? reviver(value, runtime) : value) as T;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reviveHandles(value[i], runtime, depth + 1);
  } else if (value instanceof Map) {
    for (const [k, v] of value) value.set(k, reviveHandles(v, runtime, depth + 1));
  } else if (!(value instanceof Set) && !(value instanceof Date) && !(value instanceof Error)) {
    for (const key in value) (value as any)[key] = reviveHandles((value as any)[key], runtime, depth + 1);
  }
  return value;
}
