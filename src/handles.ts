/**
 * Handles travel (DESIGN §1): a ref, queue, pipe end or lock inside a message or a Process argument
 * arrives as a working handle. Handles are objects whose own data includes `__troupe: kind`; the
 * sender checks that a message can be cloned (functions, symbols → SerializationError, nothing
 * half-sent) and the receiver swaps each marked object for a live handle from its reviver.
 */
import { trackAsyncIdentity } from './caller.js';
import { reviveError, SerializationError } from './errors.js';
import type { Runtime } from './runtime.js';
import { describe } from './describe.js';

/** Rebuilds a handle on the receiving thread; `holder` is the actor or Process it is delivered to. */
type Reviver = (data: any, runtime: Runtime, holder: string) => object;

/**
 * A handle whose copies are tracked (a pipe end: every holder has its own copy) defines this: it
 * is called when the handle leaves its thread, with the actor (or Process) it goes to, and returns
 * the data to send in its place (a new copy, registered before the message carrying it is sent).
 */
export const TO_WIRE = Symbol.for('troupe.toWire');
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

/** A Map key in a path: String() would throw for a null-prototype object (valid data to clone). */
function mapKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  return typeof key === 'object' && key !== null ? describe(key) : String(key);
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
    for (const [k, v] of value) flags |= classify(k, `${path} key`, depth + 1) | classify(v, `${path}.get(${mapKey(k)})`, depth + 1);
    return flags;
  }
  if (value instanceof Set) {
    flags |= NOT_JSON;
    for (const v of value) flags |= classify(v, `${path} member`, depth + 1);
    return flags;
  }
  if (Array.isArray(value)) {
    // a hole would come back from JSON as null: such an array travels by structured clone
    for (let i = 0; i < value.length; i++) flags |= i in value ? classify(value[i], `${path}[${i}]`, depth + 1) : NOT_JSON;
    return flags;
  }
  if (!isPlainContainer(value)) {
    flags |= NOT_JSON;
    const name = (value as object).constructor?.name ?? 'object';
    const owner = privateStateClass(value);
    if (owner !== undefined) {
      throw new SerializationError(
        `${path} is a ${name} instance whose class ${owner === name ? '' : `(through ${owner}) `}declares #private members, which structured clone silently drops; send plain data (e.g. a toJSON() object) instead`,
      );
    }
    if (hasUncloneableState(value)) {
      throw new SerializationError(`${path} is a ${name} instance that structured clone cannot copy; send plain data instead`);
    }
  }
  for (const key in value as object) flags |= classify((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
  return flags;
}

function hasUncloneableState(value: object): boolean {
  try {
    structuredClone(value);
    return false;
  } catch {
    return true;
  }
}

const privateClasses = new WeakMap<Function, boolean>();

/** Does this class's own source declare a `#private` field, method or accessor? */
function declaresPrivate(ctor: Function): boolean {
  let known = privateClasses.get(ctor);
  if (known === undefined) {
    const source = Function.prototype.toString.call(ctor);
    known =
      /^class\b/.test(source) &&
      /(?:^|[^\w$#])#[A-Za-z_$][\w$]*/.test(
        source
          .replace(/\/\*[\s\S]*?\*\//g, ' ')
          .replace(/\/\/[^\n]*/g, ' ')
          .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, '""'),
      );
    privateClasses.set(ctor, known);
  }
  return known;
}

/** The name of the first class in `value`'s prototype chain that declares #private members. */
function privateStateClass(value: object): string | undefined {
  for (let proto = Object.getPrototypeOf(value); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const ctor = (proto as { constructor?: unknown }).constructor;
    if (typeof ctor === 'function' && declaresPrivate(ctor)) return ctor.name || 'anonymous class';
  }
  return undefined;
}

/**
 * Throws SerializationError if `value` holds an instance of a class with `#private` members: an
 * in-thread message is not copied, but it must fail the same way as one that crosses threads
 * (DESIGN §1). Cheap: only plain containers are walked.
 */
export function refusePrivate(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  // the common message, a plain object of primitives: one flat loop, no recursion. (Not
  // `value.constructor`: messages of every shape pass here, so that load would be megamorphic.)
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const key in value) {
      const v = (value as Record<string, unknown>)[key];
      if (typeof v === 'object' && v !== null) return refuseWithin(value, 'message', 0);
    }
    return;
  }
  refuseWithin(value, 'message', 0);
}

function refuseWithin(value: unknown, path: string, depth: number): void {
  if (typeof value !== 'object' || value === null || depth > 16) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'object' && v !== null) refuseWithin(v, path, depth + 1);
    }
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    if ((value as { __troupe?: unknown }).__troupe !== undefined || ArrayBuffer.isView(value)) return;
    const owner = privateStateClass(value);
    if (owner !== undefined) {
      const name = (value as object).constructor?.name ?? 'object';
      throw new SerializationError(`${path} is a ${name} instance whose class ${owner === name ? '' : `(through ${owner}) `}declares #private members, which a message cannot carry; send plain data instead`);
    }
    if (value instanceof Map || value instanceof Set) for (const item of value.values()) refuseWithin(item, path, depth + 1);
    return;
  }
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'object' && v !== null) refuseWithin(v, path, depth + 1);
  }
}

/**
 * Replaces every marked object inside a received value with a live handle (in place). `holder`
 * is who the value is delivered to (default: whoever runs now on this thread).
 */
export function reviveHandles<T>(value: T, runtime: Runtime, holder?: string, depth = 0): T {
  if (typeof value !== 'object' || value === null || depth > 64) return value;
  const kind = (value as { __troupe?: unknown }).__troupe;
  if (typeof kind === 'string') {
    // a facade handle arrived: its users are known by caller from now on, across awaits too
    if (kind !== 'ref' && kind !== 'error') trackAsyncIdentity();
    const reviver = revivers.get(kind);
    return (reviver ? reviver(value, runtime, holder ?? runtime.currentSender() ?? `@${runtime.site}`) : value) as T;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reviveHandles(value[i], runtime, holder, depth + 1);
  } else if (value instanceof Map) {
    for (const [k, v] of value) value.set(k, reviveHandles(v, runtime, holder, depth + 1));
  } else if (!(value instanceof Set) && !(value instanceof Date) && !(value instanceof Error)) {
    for (const key in value) (value as any)[key] = reviveHandles((value as any)[key], runtime, holder, depth + 1);
  }
  return value;
}

type ToWire = (destination: string) => object;

/**
 * The value to send in place of `value` when it leaves this thread for `destination`: handles
 * with a wire form (see TO_WIRE) are replaced, in copies of the containers that hold them; the
 * original value is not changed. Only called for values classify() found handles in.
 */
export function prepareHandles<T>(value: T, destination: string, depth = 0): T {
  if (typeof value !== 'object' || value === null || depth > 64) return value;
  const toWire = (value as { [TO_WIRE]?: ToWire })[TO_WIRE];
  if (typeof toWire === 'function') return toWire.call(value, destination) as T;
  if ((value as { __troupe?: unknown }).__troupe !== undefined || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = prepareHandles(value[i], destination, depth + 1);
      if (next !== value[i]) (out ??= value.slice())[i] = next;
    }
    return (out ?? value) as T;
  }
  if (value instanceof Map) {
    let out: Map<unknown, unknown> | undefined;
    for (const [k, v] of value) {
      const next = prepareHandles(v, destination, depth + 1);
      if (next !== v) (out ??= new Map(value)).set(k, next);
    }
    return (out ?? value) as T;
  }
  if (value instanceof Set || value instanceof Date || value instanceof Error || !isPlainContainer(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    const next = prepareHandles(v, destination, depth + 1);
    if (next !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = next;
  }
  return (out ?? value) as T;
}

// Errors inside system messages (EXIT, DOWN reasons) cross threads serialised; revive them as the same class.
registerHandle('error', (data: { e: unknown }) => reviveError(data.e) as object);
