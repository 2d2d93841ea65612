/**
 * One way for facade objects to reach a kernel operation from any thread: a direct call in main,
 * an RPC over the control port in a worker. Also tells who is calling (actor or Process id).
 */
import { mainSystem } from './default-system.js';
import { currentHost } from './hosts/host-worker.js';
import { trackAsyncIdentity, type Runtime } from './runtime.js';

export function kernelCall(op: string, args: unknown[]): Promise<unknown> {
  trackAsyncIdentity();
  const host = currentHost();
  if (host) return host.call(op, args);
  return mainSystem().callOp(op, args);
}

/** The runtime of this thread: the host's in a worker, the default system's in main. */
export function currentRuntime(): Runtime {
  return currentHost() ?? mainSystem().runtime;
}

/** The actor or Process on whose behalf the current code runs (undefined: main script). */
export function callerId(): string | undefined {
  // from now on this thread tracks callers across awaits (queues, pipes, locks need them)
  trackAsyncIdentity();
  return currentRuntime().currentSender();
}

export function inWorker(): boolean {
  return currentHost() !== undefined;
}
