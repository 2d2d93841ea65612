/**
 * How code that may run in any thread (the facade, the built-in actors' clients) reaches the
 * kernel: an op runs directly in main, or as a call over the control port from a worker — after
 * everything the worker sent before it. Also: this thread's runtime, and who is calling.
 */
import { mainSystem } from './default-system.js';
import type { ExtensionDef, SystemExtension } from './extension.js';
import { currentHost } from './hosts/current.js';
import { trackAsyncIdentity, type Runtime } from './runtime.js';
import type { CoreOp, CoreOps } from './system/kernel-ops.js';

type ArgsOf<K extends CoreOp> = Parameters<CoreOps[K]>[0];
type ResultOf<K extends CoreOp> = Awaited<ReturnType<CoreOps[K]>>;

/** Calls a core kernel op (spawn, link, monitor, stop, exited, persist). */
export function kernelCall<K extends CoreOp>(op: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
  return callOp(undefined, op, args as unknown[]) as Promise<ResultOf<K>>;
}

/** Calls an op an extension serves in main. */
export function extensionCall<T extends SystemExtension>(def: ExtensionDef<T>, op: string, args: unknown[]): Promise<unknown> {
  return callOp(def.name, op, args);
}

/**
 * Calls an op an extension serves in main and returns its answer synchronously: in main a direct
 * call (the op must not be async), in a worker a blocking call (for sync APIs such as attaching
 * shared memory by name; the op must be answered by main alone).
 */
export function extensionCallSync<T extends SystemExtension>(def: ExtensionDef<T>, op: string, args: unknown[]): unknown {
  const host = currentHost();
  if (host) return host.callSync(op, args, def.name);
  const system = mainSystem();
  const fn = system.extension(def).ops?.[op];
  if (!fn) throw new Error(`unknown kernel operation ${def.name}:${op}`);
  return fn(args, { site: system.runtime.site });
}

function callOp(ext: string | undefined, op: string, args: unknown[]): Promise<unknown> {
  trackAsyncIdentity();
  const host = currentHost();
  if (host) return host.call(op, args, ext);
  const system = mainSystem();
  return system.runOp(ext, op, args, system.runtime.site);
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
