/**
 * Actor definitions and tasks. A definition is a plain object tagged with the URL of the module
 * that defined it, so a worker can import that module and find the same export (by the export
 * name the main thread found by identity). Definitions never travel between threads; their
 * `DefinitionLocator` does.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { AnyStateMachine } from 'xstate';
import { RuntimeError, ValueError } from './errors.js';
import type { ActorDefinition, ActorSpec, Message } from './types.js';

const DEFINITION = Symbol.for('troupe.definition');
const TASK = Symbol.for('troupe.task');

export type DefinitionKind = 'handlers' | 'machine';

export interface Definition<S = any> extends ActorDefinition<S> {
  readonly [DEFINITION]: true;
  readonly kind: DefinitionKind;
  readonly name: string;
  readonly module: string | undefined;
  readonly spec?: ActorSpec<S, any[]>;
  readonly machine?: AnyStateMachine;
  readonly trapExit: boolean;
  /** a built-in whose turns need no caller tracking across awaits (see caller.ts, untracked()) */
  untracked?: boolean;
  /** export name within `module`, found once by identity */
  exportName?: string;
}

/** How a worker finds a definition or task: by module URL and export name, or by source. */
export type Locator =
  | { by: 'export'; module: string; exportName: string }
  | { by: 'source'; source: string; name: string };

/** The URL of the module that called into troupe, read from the stack (skipping troupe frames). */
export function callerModule(depth: number): string | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = depth + 4;
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = limit;
  const lines = (holder.stack ?? '').split('\n').slice(1);
  const line = lines[depth];
  if (!line) return undefined;
  const match = /\(?((?:file:\/\/|\/|[A-Za-z]:\\)[^():]*?)(?::\d+){1,2}\)?\s*$/.exec(line.trim());
  if (!match) return undefined;
  const location = match[1]!.replace(/\?.*$/, '');
  return location.startsWith('file://') ? location : pathToFileURL(location).href;
}

/** The URL of the module of the innermost stack frame running function `fn` (e.g. `new Upper`). */
export function moduleOfFrame(fn: string): string | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = limit;
  const prefix = `at ${fn} (`;
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    const frame = line.trim();
    if (!frame.startsWith(prefix)) continue;
    const match = /\(?((?:file:\/\/|\/|[A-Za-z]:\\)[^():]*?)(?::\d+){1,2}\)?\s*$/.exec(frame);
    if (!match) return undefined;
    const location = match[1]!.replace(/\?.*$/, '');
    return location.startsWith('file://') ? location : pathToFileURL(location).href;
  }
  return undefined;
}

export function isDefinition(value: unknown): value is Definition {
  return typeof value === 'object' && value !== null && (value as Definition)[DEFINITION] === true;
}

function isMachine(value: unknown): value is AnyStateMachine {
  return typeof value === 'object' && value !== null && typeof (value as AnyStateMachine).transition === 'function'
    && typeof (value as AnyStateMachine).getInitialSnapshot === 'function';
}

/**
 * Defines an actor from a handler map (or an xstate v5 machine). Export the result from a module
 * so workers can load it.
 *
 * @example export const Counter = defineActor({ init: (_ctx, n: number) => n, receive: { inc: (n) => n + 1 } });
 */
export function defineActor<S, A extends unknown[] = any[]>(spec: ActorSpec<S, A>): ActorDefinition<S>;
/**
 * Typed protocol: `defineActor<State, Msg>({...})` where `Msg` is a union of `{ type: '...' }`
 * messages; each `receive` handler gets the message of its key.
 */
export function defineActor<S, M extends Message>(spec: ActorSpec<S, any[], M>): ActorDefinition<S, M>;
export function defineActor(machine: AnyStateMachine): ActorDefinition;
export function defineActor(specOrMachine: ActorSpec<any, any[]> | AnyStateMachine): ActorDefinition {
  if (isMachine(specOrMachine)) return machineDefinition(specOrMachine, undefined, callerModule(2));
  const spec = specOrMachine as ActorSpec<any, any[]>;
  if (typeof spec !== 'object' || spec === null) {
    throw new ValueError('defineActor(spec) needs an object { name?, init?, receive: { type: handler }, onStop? } or an xstate machine');
  }
  if (typeof spec.receive !== 'object' || spec.receive === null) {
    throw new ValueError(`defineActor: "receive" must be an object mapping message types to handlers (got ${typeof spec.receive})`);
  }
  for (const [type, handler] of Object.entries(spec.receive as Record<string, unknown>)) {
    if (typeof handler !== 'function') throw new ValueError(`defineActor: handler for message type "${type}" must be a function`);
  }
  if (spec.init !== undefined && typeof spec.init !== 'function') throw new ValueError('defineActor: "init" must be a function (ctx, ...args) => state');
  if (spec.onStop !== undefined && typeof spec.onStop !== 'function') throw new ValueError('defineActor: "onStop" must be a function (state, reason, ctx)');
  const definition: Definition = {
    [DEFINITION]: true,
    kind: 'handlers',
    name: spec.name ?? 'Actor',
    module: spec.module ?? callerModule(2),
    spec,
    trapExit: spec.trapExit === true,
  };
  return definition;
}

function machineDefinition(machine: AnyStateMachine, name: string | undefined, module: string | undefined): Definition {
  return {
    [DEFINITION]: true,
    kind: 'machine',
    name: name ?? machine.id ?? 'Machine',
    module,
    machine,
    trapExit: false,
  };
}

/** Turns an xstate v5 machine into an actor definition: messages are events, state is the snapshot. */
export function fromMachine(machine: AnyStateMachine, options: { name?: string; module?: string } = {}): ActorDefinition {
  if (!isMachine(machine)) throw new ValueError('fromMachine(machine) needs an xstate v5 machine created with createMachine() or setup().createMachine()');
  return machineDefinition(machine, options.name, options.module ?? callerModule(2));
}

interface TaskMeta {
  module: string | undefined;
}

/**
 * Marks a function as a Process/Pool target that workers load from its module (so it may use
 * that module's imports). The function must be exported.
 *
 * @example export const cube = task((x: number) => x ** 3);
 */
export function task<F extends (...args: any[]) => unknown>(fn: F): F;
/** A Process subclass overriding run(), exported so workers can load it. */
export function task<C extends abstract new (...args: any[]) => unknown>(cls: C): C;
export function task<F extends Function>(fn: F): F {
  if (typeof fn !== 'function') throw new ValueError(`task(fn) needs a function (got ${typeof fn})`);
  const module = callerModule(2);
  Object.defineProperty(fn, TASK, { value: { module } satisfies TaskMeta, enumerable: false });
  // Find the export as soon as the module has evaluated, so start() can launch synchronously
  // (a parent killed right after start() still leaves its child running, as a fork would).
  if (module && !isMainThread) queueMicrotask(() => void findExport(fn, module, 'task').catch(() => {}));
  return fn;
}

export function taskModule(fn: Function): string | undefined {
  return (fn as unknown as { [TASK]?: TaskMeta })[TASK]?.module;
}

export function isTask(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as { [TASK]?: TaskMeta })[TASK] !== undefined;
}

const exportNames = new WeakMap<object, Promise<Locator>>();
const foundExports = new WeakMap<object, Locator>();

/** The export of `value` if a search has already found it (synchronously), else undefined. */
export function knownExport(value: object): Locator | undefined {
  return foundExports.get(value);
}

/** Records the exports of a namespace just imported, so a start() of any of them knows it at once. */
export function noteExports(module: string, namespace: Record<string, unknown>): void {
  for (const [exportName, exported] of Object.entries(namespace)) {
    if ((typeof exported === 'function' || (typeof exported === 'object' && exported !== null)) && !foundExports.has(exported)) {
      foundExports.set(exported, { by: 'export', module, exportName });
    }
  }
}

/** Finds under which name `module` exports `value` (by identity), importing it if needed (once). */
export function findExport(value: object, module: string | undefined, what: string): Promise<Locator> {
  let found = exportNames.get(value);
  if (!found) {
    found = searchExport(value, module, what);
    exportNames.set(value, found);
    found.then(
      (locator) => foundExports.set(value, locator),
      () => exportNames.delete(value),
    );
  }
  return found;
}

async function searchExport(value: object, module: string | undefined, what: string): Promise<Locator> {
  if (!module) {
    throw new RuntimeError(`${what} has no module URL; define it in a module and export it, or pass { module: import.meta.url }`);
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = (await (isEntryScript(module) ? importEvaluated(module, what) : import(module))) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    throw new RuntimeError(`${what}: cannot import its module ${displayModule(module)} to find the export`, { cause: error });
  }
  noteExports(module, namespace);
  for (const [exportName, exported] of Object.entries(namespace)) {
    if (exported === value) return { by: 'export', module, exportName };
  }
  throw new RuntimeError(
    `${what} is not exported from ${displayModule(module)}; export it (export const X = ...) so worker threads can load it, or use placement: 'main'`,
  );
}

const PENDING = Symbol('pending');
const ENTRY_GRACE_MS = 3000;

/**
 * Imports the entry script only if it has finished evaluating: while its top-level code still
 * runs (a top-level await), importing it would wait for itself forever.
 */
async function importEvaluated(module: string, what: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  // An evaluated module resolves at once (give a loader thread time); an evaluating one never.
  const pending = new Promise((resolve) => (timer = setTimeout(() => resolve(PENDING), ENTRY_GRACE_MS)));
  const namespace = await Promise.race([import(module), pending]);
  clearTimeout(timer);
  if (namespace !== PENDING) return namespace;
  throw new RuntimeError(
    `${what} is defined in the entry script ${displayModule(module)}, which is still running its top-level code; ` +
      'move the target to a module without side effects and import it, or run the script\'s work from a function ' +
      "guarded by `if (isMainThread)` (Python's `if __name__ == '__main__'`), since workers import the module too",
  );
}

function isEntryScript(module: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return fileURLToPath(module) === entry || fileURLToPath(module) === entry.replace(/\.(c|m)?[jt]s$/, '') ;
  } catch {
    return false;
  }
}

function displayModule(module: string): string {
  try {
    return fileURLToPath(module);
  } catch {
    return module;
  }
}

/** Where a worker finds `def`: its export in its module (the definition itself or its machine). */
export async function locate(def: ActorDefinition): Promise<Locator> {
  const definition = asDefinition(def);
  try {
    return await findExport(definition, definition.module, `actor definition "${definition.name}"`);
  } catch (error) {
    if (definition.kind === 'machine' && definition.machine) {
      try {
        return await findExport(definition.machine, definition.module, `machine "${definition.name}"`);
      } catch {
        // report the definition's own error below
      }
    }
    throw error;
  }
}

export function asDefinition(def: unknown): Definition {
  if (!isDefinition(def)) {
    throw new ValueError('expected an actor definition made with defineActor() or fromMachine(); got ' + describe(def));
  }
  return def;
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

/**
 * Marks a built-in actor whose async turns never call the facade on their own behalf (the
 * supervisor, the log sink): they do not switch on caller tracking across awaits (caller.ts).
 */
export function untracked<D extends ActorDefinition<any, any>>(def: D): D {
  (def as unknown as Definition).untracked = true;
  return def;
}
