/**
 * Every error troupe throws is a named class here (DESIGN §4.7), plus the two functions that carry
 * errors across threads: `serializeError` keeps name, message, code, own properties, cause and the
 * remote stack; `reviveError` re-creates the same class on the other side.
 */
import type { ActorRef, ExitReason } from './types.js';

/** Base of every troupe error: `name` is always the concrete class name. */
export class TroupeError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true, writable: true });
  }
}

export class ValueError extends TroupeError {}
export class RuntimeError extends TroupeError {}
export type OSErrorReason = 'closed' | 'read-only' | 'write-only' | 'too-long';
export class OSError extends TroupeError {
  readonly reason: OSErrorReason;
  /** `new OSError(message, reason?, options?)`; reason defaults to 'closed' */
  constructor(message?: string, reason: OSErrorReason | ErrorOptions = 'closed', options?: ErrorOptions) {
    super(message, typeof reason === 'object' ? reason : options);
    this.reason = typeof reason === 'string' ? reason : 'closed';
  }
}
export class EOFError extends TroupeError {}
export class Empty extends TroupeError {}
export class Full extends TroupeError {}
export class ShutDown extends TroupeError {}
export class TimeoutError extends TroupeError {}
export class BrokenBarrierError extends TroupeError {}
export class BufferTooShort extends TroupeError {
  /** the whole message that did not fit */
  readonly data: Uint8Array;
  constructor(message?: string, data: Uint8Array | ErrorOptions = new Uint8Array(0)) {
    super(message, data instanceof Uint8Array ? undefined : data);
    this.data = data instanceof Uint8Array ? data : new Uint8Array(0);
  }
}
export class SerializationError extends TroupeError {}
export class ClosureError extends TroupeError {}
export class MaybeEncodingError extends TroupeError {}
export class BrokenWorkerError extends TroupeError {}
export class AbandonedLockError extends TroupeError {}
export class AskTimeoutError extends TroupeError {}
export class NameTakenError extends TroupeError {}
export class NoProcError extends TroupeError {}
/** §4.8: attaching a SharedMemory name that does not exist (Python's FileNotFoundError, an OSError) */
export class FileNotFoundError extends OSError {}
/** §4.8: creating a SharedMemory name that is taken (Python's FileExistsError, an OSError) */
export class FileExistsError extends OSError {}
/**
 * §4.8: a manager dict has no such key (Python's KeyError, a LookupError): `get(key)` without a
 * fallback, `pop(key)` without one, `delete(key)`. Its `key` is the missing key.
 */
export class KeyError extends TroupeError {
  readonly key: unknown;
  constructor(message?: string, options?: ErrorOptions & { key?: unknown }) {
    super(message, options);
    this.key = options?.key;
  }
}

export type SupervisorErrorCode =
  | 'supervisor_data'
  | 'bad_start_spec'
  | 'failed_to_start_child'
  | 'already_present'
  | 'already_started'
  | 'not_found'
  | 'running'
  | 'restarting'
  | 'simple_one_for_one'
  | 'bad_combination';
const SUPERVISOR_CODES = new Set<string>([
  'supervisor_data', 'bad_start_spec', 'failed_to_start_child', 'already_present', 'already_started',
  'not_found', 'running', 'restarting', 'simple_one_for_one', 'bad_combination',
]);

type SupervisorErrorOptions = ErrorOptions & { pid?: ActorRef; code?: SupervisorErrorCode };

export class SupervisorError extends TroupeError {
  /** OTP's reason atom */
  readonly code: SupervisorErrorCode;
  /** for already_started: the running child */
  readonly pid?: ActorRef;
  /** `new SupervisorError(code, message, { pid, cause })` (or `(message, { code })`) */
  constructor(codeOrMessage?: string, message?: string | SupervisorErrorOptions, options?: SupervisorErrorOptions) {
    const coded = typeof message === 'string' && codeOrMessage !== undefined && SUPERVISOR_CODES.has(codeOrMessage);
    const opts = typeof message === 'object' ? message : options;
    super(coded ? (message as string) : codeOrMessage, opts);
    this.code = coded ? (codeOrMessage as SupervisorErrorCode) : (opts?.code ?? 'failed_to_start_child');
    if (opts?.pid) this.pid = opts.pid;
  }
}

/**
 * An error thrown by a handler that asks for a particular exit instead of an `error` exit (the
 * facade's `exit()` inside a shared host): it carries the reason under this key.
 */
export const EXIT_REASON = Symbol.for('troupe.exitReason');

/** The exit an error asks for, if it is such a request. */
export function exitRequested(error: unknown): ExitReason | undefined {
  return typeof error === 'object' && error !== null ? (error as { [EXIT_REASON]?: ExitReason })[EXIT_REASON] : undefined;
}

// Classes errors are re-created as on arrival (shared by every troupe copy in the thread).
const CLASSES = Symbol.for('troupe.errorClasses');
const classes: Record<string, new (...args: any[]) => Error> = ((globalThis as unknown as Record<symbol, Record<string, new (...args: any[]) => Error>>)[CLASSES] ??= {});
Object.assign(classes, {
  ValueError, RuntimeError, OSError, EOFError, Empty, Full, ShutDown, TimeoutError, BrokenBarrierError,
  BufferTooShort, SerializationError, ClosureError, MaybeEncodingError, BrokenWorkerError,
  AbandonedLockError, AskTimeoutError, NameTakenError, NoProcError, SupervisorError, FileNotFoundError, FileExistsError, KeyError,
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
});

/** Lets errors of `cls` cross threads as the same class (by name). */
export function registerErrorClass(cls: new (...args: any[]) => Error): void {
  classes[cls.name] ??= cls;
}

/** The structured-clone shape of an error in flight between threads. */
export interface SerializedError {
  readonly __troupeError: true;
  name: string;
  message: string;
  stack?: string;
  props: Record<string, unknown>;
  cause?: unknown;
}

function cloneable(value: unknown): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return typeof value === 'symbol' ? String(value) : value;
  }
  if (typeof value === 'function') return `[Function ${(value as Function).name || 'anonymous'}]`;
  if (value instanceof Error) return serializeError(value);
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

/** Turns any thrown value into a structured-clone-safe record; non-errors pass through cloned. */
export function serializeError(error: unknown): SerializedError | unknown {
  if (!(error instanceof Error)) return cloneable(error);
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === 'cause') continue;
    props[key] = cloneable((error as unknown as Record<string, unknown>)[key]);
  }
  const out: SerializedError = { __troupeError: true, name: error.name, message: error.message, stack: error.stack, props };
  if ('cause' in error && error.cause !== undefined) out.cause = serializeError(error.cause);
  return out;
}

function isSerialized(value: unknown): value is SerializedError {
  return typeof value === 'object' && value !== null && (value as SerializedError).__troupeError === true;
}

/**
 * Re-creates a serialized error with the same class (when known), name, message, own properties,
 * cause, and the remote stack as its `stack`, so it reads like the thrower's.
 */
export function reviveError(value: unknown): unknown {
  if (!isSerialized(value)) return value;
  const Known = classes[value.name];
  const error: Error = Object.create((Known ?? Error).prototype);
  Object.defineProperty(error, 'message', { value: value.message, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(error, 'name', { value: value.name, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(error, 'stack', { value: value.stack ?? `${value.name}: ${value.message}`, enumerable: false, writable: true, configurable: true });
  for (const [key, prop] of Object.entries(value.props)) {
    (error as unknown as Record<string, unknown>)[key] = reviveError(prop);
  }
  if (value.cause !== undefined) {
    Object.defineProperty(error, 'cause', { value: reviveError(value.cause), enumerable: false, writable: true, configurable: true });
  }
  return error;
}
