/**
 * Process, as in CPython's multiprocessing/process.py: start/join/exitcode/terminate/kill/close,
 * names (MainProcess, Process-N, Process-N:M), daemon rules, currentProcess/parentProcess/
 * activeChildren. A Process is an actor on an exclusive pooled worker; the main thread's
 * ProcessTable launches it, and from inside a worker the same calls go to main as kernel ops.
 */
import os from 'node:os';
import { mainSystem } from '../default-system.js';
import { RuntimeError, SystemExit, ValueError } from '../errors.js';
import { currentHost } from '../hosts/host-worker.js';
import type { ProcessInfo } from '../hosts/protocol.js';
import { kernelCall } from '../kernel-call.js';
import { locateTarget, sourceLocator } from '../target.js';
import { isTask, type Locator } from '../define.js';
import { SystemImpl } from '../system.js';
import type { ActorRef } from '../types.js';
import { processTable } from './process-table.js';

export interface ProcessOptions {
  /** a task(fn) exported from a module, or any self-contained function */
  target?: (...args: any[]) => unknown;
  args?: readonly unknown[];
  /** passed as one extra last argument */
  kwargs?: Record<string, unknown>;
  name?: string;
  daemon?: boolean;
}

type ProcessState = 'initial' | 'started' | 'closed';

/** Per-thread counters and children, shared by every copy of troupe in the thread. */
interface ThreadState {
  counter: number;
  children: Set<Process>;
}
const STATE = Symbol.for('troupe.processState');
/** pids of processes started inside a worker: site × this + n (main's own count from 1) */
const WORKER_PID_RANGE = 1_000_000;
function threadState(): ThreadState {
  const slots = globalThis as Record<symbol, ThreadState | undefined>;
  return (slots[STATE] ??= { counter: 0, children: new Set() });
}

/** Set by queue.ts: makes each Process's mailbox Queue, and frees it once the Process ended. */
let mailboxFactory: (() => unknown) | undefined;
let mailboxRelease: ((mailbox: unknown) => unknown) | undefined;
export function setMailboxFactory(factory: () => unknown, release?: (mailbox: unknown) => unknown): void {
  mailboxFactory = factory;
  mailboxRelease = release;
}

/** Hook set by logging.ts: starts the system's log sink, which writes the records of processes. */
let logSink: ((system: SystemImpl) => unknown) | undefined;
export function setLogSinkStarter(start: (system: SystemImpl) => unknown): void {
  logSink = start;
}

export class Process {
  name: string;
  daemon: boolean;
  private readonly target: ((...args: any[]) => unknown) | undefined;
  private readonly args: readonly unknown[];
  private readonly kwargs: Record<string, unknown> | undefined;
  private state: ProcessState = 'initial';
  private id: string | undefined;
  private processPid: number | null = null;
  private code: number | null = null;
  private exit: Promise<number> | undefined;
  /** resolves the process's id once it is launched (undefined if it could not be) */
  private launched: Promise<string | undefined> | undefined;
  /** the mailbox Queue handle (see queue.ts) */
  mailbox: unknown;

  constructor(options: ProcessOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new ValueError('new Process({ target, args, kwargs, name, daemon }) takes one options object');
    const { target, args = [], kwargs, name, daemon } = options;
    if (target !== undefined && target !== null && typeof target !== 'function') throw new ValueError(`Process target must be a function (got ${typeof target})`);
    if (!Array.isArray(args)) throw new ValueError('Process args must be an array (Python: a tuple)');
    if (kwargs !== undefined && (typeof kwargs !== 'object' || kwargs === null)) throw new ValueError('Process kwargs must be an object');
    if (name !== undefined && typeof name !== 'string') throw new ValueError('Process name must be a string');
    this.target = target ?? undefined;
    this.args = args;
    this.kwargs = kwargs;
    const state = threadState();
    const parent = currentHost()?.process;
    state.counter += 1;
    this.name = name ?? (parent ? `${parent.name.replace(/^Process-/, 'Process-')}:${state.counter}` : `Process-${state.counter}`);
    this.daemon = daemon ?? parent?.daemon ?? false;
  }

  /** Override in a subclass instead of passing a target (the subclass must be exported as a task). */
  run(): unknown {
    return this.target?.(...this.args, ...(this.kwargs ? [this.kwargs] : []));
  }

  /** Starts the process (sync). RuntimeError if started twice; ValueError after close(). */
  start(): void {
    this.checkOpen();
    if (this.state !== 'initial') throw new RuntimeError('cannot start a process twice');
    const host = currentHost();
    if (host?.process?.daemon) throw new RuntimeError('daemonic processes are not allowed to have children');
    const target = this.target ?? this.runTarget();
    checkSelfContained(target);
    // A subclass travels as its exported class plus the instance's own data (like pickling self).
    const args = this.target ? [...this.args, ...(this.kwargs ? [this.kwargs] : [])] : [subclassState(this)];
    this.state = 'started';
    threadState().children.add(this);
    if (host) {
      // The pid is known at once, as in Python: a range of its own per worker, which main adopts.
      this.processPid = host.site * WORKER_PID_RANGE + (threadState().counter % WORKER_PID_RANGE);
      const request = { name: this.name, daemon: this.daemon, pid: this.processPid };
      const started = locateTarget(target, 'Process target').then((locator) =>
        kernelCall('process.start', [locator, args, request]) as Promise<{ id: string; mailbox: unknown }>,
      );
      this.launched = started.then(
        ({ id }) => id,
        () => undefined,
      );
      this.exit = started.then(
        ({ id, mailbox }) => {
          this.id = id;
          this.mailbox = mailbox;
          return kernelCall('process.wait', [id]) as Promise<number>;
        },
        (error) => reportStartFailure(this.name, error),
      );
    } else {
      const system = mainSystem();
      ensureProcessOps(system);
      const table = processTable(system);
      const pid = table.allocatePid();
      this.processPid = pid;
      this.mailbox = mailboxFactory?.();
      let exitcode: Promise<number> = Promise.resolve(1);
      this.launched = locateTarget(target, 'Process target').then(
        (locator) => {
          const launched = table.launch(
            { locator, args, name: this.name, daemon: this.daemon, parentId: null, parent: { name: 'MainProcess', pid: process.pid, id: null }, mailbox: this.mailbox },
            pid,
          );
          this.id = launched.id;
          exitcode = launched.exitcode;
          return launched.id;
        },
        (error) => {
          reportStartFailure(this.name, error);
          return undefined;
        },
      );
      this.exit = this.launched.then(() => exitcode);
    }
    this.exit = this.exit.then((code) => {
      this.code = code;
      // nobody reads a finished process's mailbox: free its server
      if (this.mailbox !== undefined && !host) void Promise.resolve(mailboxRelease?.(this.mailbox)).catch(() => {});
      return code;
    });
    this.exit.catch(() => {});
  }

  /** For subclasses overriding run(): the class must be exported with task() from its module. */
  private runTarget(): (...args: any[]) => unknown {
    const ctor = this.constructor as unknown as ((...args: any[]) => unknown) & { prototype: Process };
    if ((ctor as unknown) === Process) throw new ValueError('Process needs a target, or a subclass that overrides run()');
    if (!isTask(ctor)) {
      throw new ValueError(`the Process subclass ${ctor.name} must be exported from its module and wrapped: export const ${ctor.name} = task(class extends Process { run() {...} })`);
    }
    return ctor;
  }

  /** Waits for the process to end; with a timeout (ms) it may return while still running. */
  async join(timeout?: number | null): Promise<void> {
    this.checkOpen();
    if (this.state === 'initial' || !this.exit) throw new RuntimeError('can only join a started process');
    const self = currentHost()?.process;
    if (self && this.id === self.id) throw new RuntimeError('can only join a child process (a process cannot join itself)');
    if (timeout === null || timeout === undefined) {
      await this.exit;
    } else {
      if (typeof timeout !== 'number' || Number.isNaN(timeout)) throw new ValueError('join(timeout) takes milliseconds (a number) or null');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.exit, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, timeout))))]);
      clearTimeout(timer);
    }
    if (this.code !== null) threadState().children.delete(this);
  }

  /** null while running; 0 returned, 1 threw, n from exit(n), -15 terminate, -9 kill. */
  get exitcode(): number | null {
    this.checkOpen();
    return this.code;
  }

  isAlive(): boolean {
    this.checkOpen();
    return this.state === 'started' && this.code === null;
  }

  /** null before start, then a positive integer unique among live processes. */
  get pid(): number | null {
    this.checkOpen();
    return this.processPid;
  }

  /** Resolves with the exit code. */
  get sentinel(): Promise<number> {
    this.checkOpen();
    if (!this.exit) throw new ValueError('process not started');
    return this.exit;
  }

  /** The process's actor ref (links, monitors; messages go to its mailbox). */
  get ref(): ActorRef | undefined {
    return this.id === undefined ? undefined : mainSystem().ref(this.id);
  }

  terminate(): void {
    this.signal(-15);
  }

  kill(): void {
    this.signal(-9);
  }

  private signal(code: -15 | -9): void {
    this.checkOpen();
    if (this.state !== 'started' || this.code !== null) return;
    const send = (id: string): void => {
      if (currentHost()) void kernelCall('process.signal', [id, code]).catch(() => {});
      else processTable(mainSystem()).signal(id, code);
    };
    if (this.id !== undefined) return send(this.id);
    // still launching: signal once main knows it
    void this.launched?.then((id) => {
      if (id !== undefined && this.code === null) send(id);
    });
  }

  /** Sends a message to the process's mailbox. */
  send(msg: unknown): void {
    this.checkOpen();
    const mailbox = this.mailbox as { putNowait?(x: unknown): Promise<void> } | undefined;
    if (!mailbox?.putNowait) throw new RuntimeError('this process has no mailbox (start it first)');
    void mailbox.putNowait(msg);
  }

  close(): void {
    if (this.state === 'closed') return;
    if (this.state === 'started' && this.code === null) throw new ValueError('Cannot close a process while it is still running. You should first call join() or terminate().');
    this.state = 'closed';
    threadState().children.delete(this);
  }

  private checkOpen(): void {
    if (this.state === 'closed') throw new ValueError('process object is closed');
  }

  toString(): string {
    const status = this.state === 'initial' ? 'initial' : this.code === null ? 'started' : `stopped exitcode=${this.code}`;
    return `<Process name='${this.name}' ${status}${this.daemon ? ' daemon' : ''}>`;
  }
}

const INTERNAL = new Set(['target', 'args', 'kwargs', 'state', 'id', 'processPid', 'code', 'exit', 'mailbox']);
function subclassState(proc: Process): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(proc)) if (!INTERNAL.has(key) && typeof value !== 'function') data[key] = value;
  return data;
}

/** An inline target that reads outer variables fails now, not in the worker. */
function checkSelfContained(target: Function): void {
  if (!isTask(target)) sourceLocator(target);
}

function reportStartFailure(name: string, error: unknown): number {
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  process.stderr.write(`Process ${name}:\n${text}\n`);
  return 1;
}

/** The process this code runs in: MainProcess in the main thread. */
export function currentProcess(): Process & { readonly mailbox: any } {
  const info = currentHost()?.process;
  return info ? processView(info) : mainProcess();
}

let main: Process | undefined;
function mainProcess(): Process {
  if (!main) {
    main = Object.create(Process.prototype) as Process;
    Object.assign(main, { name: 'MainProcess', daemon: false, state: 'started', processPid: process.pid, code: null, id: undefined, exit: new Promise(() => {}) });
  }
  return main;
}

const views = new WeakMap<ProcessInfo, Process>();
function processView(info: ProcessInfo): Process {
  let view = views.get(info);
  if (!view) {
    view = Object.create(Process.prototype) as Process;
    Object.assign(view, { name: info.name, daemon: info.daemon, state: 'started', processPid: info.pid, code: null, id: info.id, mailbox: info.mailbox, exit: new Promise(() => {}) });
    views.set(info, view);
  }
  return view;
}

/** The parent of the current process, or null in the main process. */
export function parentProcess(): Process | null {
  const parent = currentHost()?.process?.parent;
  if (!parent) return null;
  const view = Object.create(Process.prototype) as Process;
  Object.assign(view, { name: parent.name, daemon: false, state: 'started', processPid: parent.pid, code: null, id: parent.id ?? undefined, exit: new Promise(() => {}) });
  return view;
}

/** Live children of the current process; finished ones are reaped (forgotten). */
export function activeChildren(): Process[] {
  const children = threadState().children;
  for (const child of children) if ((child as unknown as { code: number | null }).code !== null) children.delete(child);
  return [...children];
}

export function cpuCount(): number {
  return os.availableParallelism();
}

/**
 * Like sys.exit: an integer or boolean is the exit code, null/undefined gives 0, anything else is
 * printed to stderr and gives 1. Throws SystemExit, so finally blocks still run.
 */
export function exit(code?: unknown): never {
  throw new SystemExit(code);
}

// ---- kernel ops: Process calls made from inside workers run here, in main ---------------------

function installOps(system: SystemImpl): void {
  const table = processTable(system);
  system.defineOp('process.start', ([locator, args, request], from) => {
    const parentId = system.processOnSite(from.site) ?? null;
    const parentInfo = parentId ? { name: system.labelOf(parentId) ?? 'Process', pid: 0, id: parentId } : null;
    const mailbox = mailboxFactory?.();
    const launched = table.launch(
      { locator: locator as Locator, args: args as unknown[], name: request.name, daemon: request.daemon, parentId, parent: parentInfo, mailbox },
      table.adoptPid(request.pid),
    );
    if (mailbox !== undefined) void launched.exitcode.then(() => mailboxRelease?.(mailbox)).catch(() => {});
    return { id: launched.id, mailbox };
  });
  system.defineOp('process.wait', ([id]) => table.exitcodeOf(id as string) ?? table.lastExitcode(id as string));
  system.defineOp('process.signal', ([id, code]) => table.signal(id as string, code as -15 | -9));
}

const installed = new WeakSet<SystemImpl>();
/** Makes sure the system answers Process kernel ops (called for the default system). */
export function ensureProcessOps(system: SystemImpl): void {
  if (installed.has(system)) return;
  installed.add(system);
  installOps(system);
  logSink?.(system);
}

SystemImpl.processImpl = async (system, target, args, name, parent) => {
  ensureProcessOps(system);
  const locator = await locateTarget(target, 'child target');
  const launched = processTable(system).launch({ locator, args, name: name ?? target.name ?? 'Process', daemon: false, parentId: parent, parent: { name: 'MainProcess', pid: process.pid, id: null } });
  return system.ref(launched.id);
};
