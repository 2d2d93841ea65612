/**
 * How a proxy, in any thread, calls the actor that serves it (the manager, or a registered
 * class's instance actor): one ask, answered by an Outcome. Values are copied both ways in the
 * main thread too (asks inside one thread are not cloned), so what a caller keeps or passes is
 * never the manager's own object — Python pickles them. A stopped manager turns the ask's
 * NoProcError into a RuntimeError; an instance method's error gets its remote stack as cause.
 */
import { NoProcError, RuntimeError, reviveError } from '../../errors.js';
import { classify, HAS_HANDLES, prepareHandles, reviveHandles } from '../../handles.js';
import { currentRuntime, inWorker } from '../../kernel-call.js';
import type { Runtime } from '../../runtime.js';
import type { Outcome } from '../../../actors/manager/protocol.js';

/**
 * In main, a copy of `value` as another thread would receive it (handles revived); primitives as
 * they are. In a worker, `value` itself (the send checks and clones it). `fresh`: `value` is an
 * array made for this call, which needs no copy of its own if it holds only primitives.
 */
function isolate<T>(value: T, runtime: Runtime, holder: string, what: string, fresh = false): T {
  if (inWorker()) return value;
  const flags = classify(value, what);
  if (typeof value !== 'object' || value === null) return value;
  if (fresh && (value as unknown[]).every((item) => typeof item !== 'object' || item === null)) return value;
  const prepared = flags & HAS_HANDLES ? prepareHandles(value, holder) : value;
  const copy = structuredClone(prepared);
  return flags & HAS_HANDLES ? reviveHandles(copy, runtime, holder) : copy;
}

/** The error a call to a stopped manager rejects with. */
export function managerGone(what: string, cause?: unknown): RuntimeError {
  return new RuntimeError(`${what}: the Manager was shut down (or its system was), so its objects are gone; make a new Manager()`, cause === undefined ? undefined : { cause });
}

/** Python's RemoteTraceback: the error raised in the manager, with the stack it had there as cause. */
function withRemoteStack(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const remoteStack = error.stack ?? `${error.name}: ${error.message}`;
  const remote = new Error(`the method failed in the manager:\n${remoteStack}`) as Error & { remoteStack: string };
  Object.defineProperty(remote, 'name', { value: 'RemoteTraceback', enumerable: false, configurable: true, writable: true });
  remote.remoteStack = remoteStack;
  const original = (error as { cause?: unknown }).cause;
  if (original !== undefined) Object.defineProperty(remote, 'cause', { value: original, enumerable: false, configurable: true, writable: true });
  Object.defineProperty(error, 'cause', { value: remote, enumerable: false, configurable: true, writable: true });
  return error;
}

/**
 * Asks `server` (an actor id) and settles with the outcome's value, or rejects with its error.
 * `what` names the call in errors; `remote` adds the remote stack to errors (registered classes).
 */
export function ask(server: string, message: { args?: unknown[] } & Record<string, unknown>, what: string, remote = false): Promise<unknown> {
  const runtime = currentRuntime();
  let sent = message;
  try {
    if (message.args !== undefined) sent = { ...message, args: isolate(message.args, runtime, server, `${what} arguments`, true) };
  } catch (error) {
    return Promise.reject(error);
  }
  return runtime.ask(server, sent, Infinity, runtime.currentSender()).then(
    (answer) => {
      const outcome = answer as Outcome;
      if (!outcome.ok) throw remote ? withRemoteStack(reviveError(outcome.error)) : reviveError(outcome.error);
      return isolate(outcome.value, runtime, `@${runtime.site}`, `${what} result`);
    },
    (error: unknown) => {
      throw error instanceof NoProcError ? managerGone(what, error) : error;
    },
  );
}
