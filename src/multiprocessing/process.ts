/**
 * Process, as in CPython's multiprocessing/process.py: start/join/exitcode/terminate/kill/close,
 * names (MainProcess, Process-N, Process-N:M), daemon rules, subclasses overriding run(). A
 * Process is an actor on an exclusive pooled worker: in main the system's ProcessTable launches
 * it; from inside a worker the same calls go to main as the multiprocessing extension's ops.
 */
import { findExport, isTask, knownExport, moduleOfFrame, taskModule, type Locator } from '../define.js';
import { RuntimeError, ValueError } from '../errors.js';
import { newId } from '../id.js';
import { checkCloneable, prepareHandles } from '../handles.js';
import { currentHost } from '../hosts/current.js';
import { mainSystem } from '../default-system.js';
import { extensionCall } from '../kernel-call.js';
import { locateTarget, sourceLocator } from '../target.js';
import type { ActorRef } from '../types.js';
import { MULTIPROCESSING, multiprocessing, type StartRequest } from './extension.js';
import { identity, runningProcess } from './identity.js';
import { mailboxOf } from './mailbox.js';

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

/** pids of processes started inside a worker: site × this + n (main's own count from 1) */
const WORKER_PID_RANGE = 1_000_000;

/** Everything a Process keeps for itself (not the subclass's own fields, which travel to run()). */
interface Internals {
  state: ProcessState;
  target: ((...args: any[]) => unknown) | undefined;
  args: readonly unknown[];
  kwargs: Record<string, unknown> | undefined;
  identity: number[];
  daemon: boolean;
  id: string | undefined;
  pid: number | null;
  code: number | null;
  exit: Promise<number> | undefined;
  /** resolves the process's id once it is launched (undefined if it could not be) */
  launched: Promise<string | undefined> | undefined;
  mailbox: unknown;
  /** the module that defined a subclass (found from the constructor's stack frame) */
  module: string | undefined;
  /** a view of a process this thread did not start (currentProcess, parentProcess) */
  view: boolean;
}

const INTERNALS = Symbol('troupe.process');

function internals(proc: Process): Internals {
  return (proc as unknown as { [INTERNALS]: Internals })[INTERNALS];
}

export class Process {
  name: string;
  declare private readonly [INTERNALS]: Internals;

  constructor(options: ProcessOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new ValueError('new Process({ target, args, kwargs, name, daemon }) takes one options object');
    const { target, args = [], kwargs, name, daemon } = options;
    if (target !== undefined && target !== null && typeof target !== 'function') throw new ValueError(`Process target must be a function (got ${typeof target})`);
    if (!Array.isArray(args)) throw new ValueError('Process args must be an array (Python: a tuple)');
    if (kwargs !== undefined && kwargs !== null && (typeof kwargs !== 'object' || Array.isArray(kwargs))) throw new ValueError('Process kwargs must be an object');
    if (name !== undefined && typeof name !== 'string') throw new ValueError('Process name must be a string');
    if (daemon !== undefined && typeof daemon !== 'boolean') throw new ValueError('Process daemon must be a boolean');
    const thread = identity();
    const parent = thread.info;
    thread.counter += 1;
    const ident = [...(parent?.identity ?? []), thread.counter];
    Object.defineProperty(this, INTERNALS, {
      value: {
        state: 'initial',
        target: target ?? undefined,
        args,
        kwargs: kwargs ?? undefined,
        identity: ident,
        daemon: daemon ?? parent?.daemon ?? false,
        id: undefined,
        pid: null,
        code: null,
        exit: undefined,
        launched: undefined,
        mailbox: undefined,
        module: new.target === Process ? undefined : definingModule(new.target),
        view: false,
      } satisfies Internals,
      enumerable: false,
    });
    this.name = name ?? `Process-${ident.join(':')}`;
  }

  /** Whether the process is a daemon (ended with its parent). Set it before start(). */
  get daemon(): boolean {
    return internals(this).daemon;
  }

  set daemon(value: boolean) {
    const own = internals(this);
    if (own.state !== 'initial') throw new RuntimeError('process has already started: set daemon before start() (Python asserts this too)');
    if (typeof value !== 'boolean') throw new ValueError(`daemon must be a boolean (got ${typeof value})`);
    own.daemon = value;
  }

  /** Override in a subclass instead of passing a target. */
  run(): unknown {
    const own = internals(this);
    return own.target?.(...own.args, ...(own.kwargs ? [own.kwargs] : []));
  }

  /**
   * Starts the process (sync). RuntimeError if started twice; ValueError after close(); an
   * argument that cannot travel fails here, as pickling does in Python's start(). The process is
   * registered at once, so the handles among its arguments are its own copies from now on (a pipe
   * end closed by the parent right after start() stays open in the child).
   */
  start(): void {
    const own = this.open();
    if (own.state !== 'initial' || own.view) throw new RuntimeError('cannot start a process twice');
    const host = currentHost();
    const parent = runningProcess();
    if (parent?.daemon) throw new RuntimeError('daemonic processes are not allowed to have children');
    const subclass = own.target === undefined;
    const target = own.target ?? this.subclassTarget();
    // a self-contained function's source is checked now (ClosureError here, as pickling fails in
    // Python's start()); it, or an export found before, is known at once: no search
    const known = !subclass && !isTask(target) ? sourceLocator(target) : knownExport(target);
    // A subclass travels as its exported class plus the instance's own fields (like pickling self).
    const raw = subclass ? [subclassState(this)] : [...own.args, ...(own.kwargs ? [own.kwargs] : [])];
    const handles = checkCloneable(raw, 'Process args');
    const daemon = own.daemon;
    const id = newId();
    own.id = id;
    own.state = 'started';
    identity().children.add(this);
    const locating = known
      ? undefined
      : subclass
        ? findExport(target, own.module ?? taskModule(target), `Process subclass ${target.name}`)
        : locateTarget(target, 'Process target');
    let exitcode: Promise<number>;
    if (host) {
      // The pid is known at once, as in Python: a range of its own per worker, which main adopts.
      own.pid = host.site * WORKER_PID_RANGE + (identity().counter % WORKER_PID_RANGE);
      const args = handles ? prepareHandles(raw, id) : raw;
      // A target whose locator is already known launches with the reservation, in one message.
      const request: StartRequest = { id, name: this.name, identity: own.identity, daemon, pid: own.pid };
      if (known) request.launch = { locator: known, args, subclass };
      const reserved = extensionCall(MULTIPROCESSING, 'reserve', [request]);
      // asked at once: main answers the reservation first (one FIFO per thread), then waits
      const waited = extensionCall(MULTIPROCESSING, 'wait', [id]) as Promise<number>;
      own.launched = locating === undefined ? Promise.resolve(id) : locating.then(
        (locator: Locator) => {
          void extensionCall(MULTIPROCESSING, 'launch', [id, locator, args, subclass]).catch(() => {});
          return id;
        },
        (error) => {
          void extensionCall(MULTIPROCESSING, 'abandon', [id]).catch(() => {});
          reportStartFailure(this.name, error);
          return undefined;
        },
      );
      exitcode = reserved.then(
        () => waited,
        (error) => reportStartFailure(this.name, error),
      );
    } else {
      const table = multiprocessing(mainSystem()).processes;
      const reserved = table.reserve({
        id,
        name: this.name,
        identity: own.identity,
        daemon,
        parentId: null,
        parent: { name: 'MainProcess', pid: process.pid, id: null },
      });
      own.pid = reserved.pid;
      const args = handles ? prepareHandles(raw, id) : raw;
      if (locating === undefined) {
        // launched now: the run request is posted before start() returns
        table.launch(id, known!, args, subclass);
        own.launched = Promise.resolve(id);
      } else own.launched = locating.then(
        (locator: Locator) => {
          table.launch(id, locator, args, subclass);
          return id;
        },
        (error) => {
          table.abandon(id);
          reportStartFailure(this.name, error);
          return undefined;
        },
      );
      exitcode = reserved.exitcode;
    }
    own.exit = exitcode.then((code) => {
      own.code = code;
      return code;
    });
    own.exit.catch(() => {});
  }

  /** A subclass overriding run(): the class itself is the target (found in its module by identity). */
  private subclassTarget(): Function {
    const ctor = this.constructor as Function;
    if (ctor === Process) throw new ValueError('Process needs a target, or a subclass that overrides run()');
    if (internals(this).module === undefined && !isTask(ctor)) {
      throw new ValueError(`the Process subclass ${ctor.name}: cannot tell which module defines it; export it from a module (export class ${ctor.name} extends Process { run() {...} })`);
    }
    return ctor;
  }

  /** Waits for the process to end; with a timeout (ms) it may return while still running. */
  async join(timeout?: number | null): Promise<void> {
    const own = this.open();
    if (own.view) throw new RuntimeError('can only join a child process');
    if (own.state === 'initial' || !own.exit) throw new RuntimeError('can only join a started process');
    const self = runningProcess();
    if (self && own.id === self.id) throw new RuntimeError('can only join a child process (a process cannot join itself)');
    if (timeout === null || timeout === undefined) {
      await own.exit;
    } else {
      if (typeof timeout !== 'number' || Number.isNaN(timeout)) throw new ValueError('join(timeout) takes milliseconds (a number) or null');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([own.exit, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, timeout))))]);
      clearTimeout(timer);
    }
    if (own.code !== null) identity().children.delete(this);
  }

  /** null while running; 0 returned, 1 threw, n from exit(n), -15 terminate, -9 kill. */
  get exitcode(): number | null {
    return this.open().code;
  }

  isAlive(): boolean {
    const own = this.open();
    return own.state === 'started' && own.code === null;
  }

  /** null before start, then a positive integer unique among live processes. */
  get pid(): number | null {
    return this.open().pid;
  }

  /** Resolves with the exit code. */
  get sentinel(): Promise<number> {
    const own = this.open();
    if (!own.exit) throw new ValueError('process not started');
    return own.exit;
  }

  /** The process's actor ref (links, monitors; messages go to its mailbox). */
  get ref(): ActorRef | undefined {
    const own = internals(this);
    return own.id === undefined || currentHost() ? undefined : mainSystem().ref(own.id);
  }

  /** The process's mailbox (a Queue): `send()` puts to it, `currentProcess().mailbox.get()` reads it. */
  get mailbox(): unknown {
    const own = internals(this);
    if (own.mailbox === undefined && own.id !== undefined && own.state === 'started' && own.code === null) own.mailbox = mailboxOf(own.id);
    return own.mailbox;
  }

  terminate(): void {
    this.signal(-15);
  }

  kill(): void {
    this.signal(-9);
  }

  private signal(code: -15 | -9): void {
    const own = this.open();
    if (own.state !== 'started' || own.code !== null || own.view || own.id === undefined) return;
    if (currentHost()) void extensionCall(MULTIPROCESSING, 'signal', [own.id, code]).catch(() => {});
    else multiprocessing(mainSystem()).processes.signal(own.id, code);
  }

  /** Sends a message to the process's mailbox. */
  send(msg: unknown): void {
    if (this.open().state !== 'started') throw new RuntimeError('this process has no mailbox (start it first)');
    const mailbox = this.mailbox as { putNowait?(x: unknown): Promise<void> } | undefined;
    if (!mailbox?.putNowait) return; // it has ended: nobody reads its mailbox any more
    void mailbox.putNowait(msg).catch(() => {});
  }

  close(): void {
    const own = internals(this);
    if (own.state === 'closed') return;
    if (own.state === 'started' && own.code === null && !own.view) {
      throw new ValueError('Cannot close a process while it is still running. You should first call join() or terminate().');
    }
    own.state = 'closed';
    identity().children.delete(this);
  }

  private open(): Internals {
    const own = internals(this);
    if (own.state === 'closed') throw new ValueError('process object is closed');
    return own;
  }

  toString(): string {
    const own = internals(this);
    const status = own.state === 'initial' ? 'initial' : own.code === null ? 'started' : `stopped exitcode=${own.code}`;
    return `<Process name='${this.name}' ${status}${own.daemon ? ' daemon' : ''}>`;
  }

  /** @internal a view of a process this thread did not start (currentProcess, parentProcess) */
  static view(name: string, pid: number, daemon: boolean, id: string | null, extra: { mailbox?: unknown; code?: () => number | null; prototype?: object } = {}): Process {
    const view = Object.create(extra.prototype ?? Process.prototype) as Process;
    view.name = name;
    const own: Internals = {
      state: 'started',
      target: undefined,
      args: [],
      kwargs: undefined,
      identity: [],
      daemon,
      id: id ?? undefined,
      pid,
      code: null,
      exit: new Promise<number>(() => {}),
      launched: undefined,
      mailbox: extra.mailbox,
      module: undefined,
      view: true,
    };
    if (extra.code) Object.defineProperty(own, 'code', { get: extra.code });
    Object.defineProperty(view, INTERNALS, { value: own, enumerable: false });
    return view;
  }
}

/** The module that defines a Process subclass: its constructor's frame in the stack. */
function definingModule(cls: Function): string | undefined {
  return cls.name ? moduleOfFrame(`new ${cls.name}`) : undefined;
}

/** The instance's own data (the subclass's fields; `name` and `daemon` are restored too). */
function subclassState(proc: Process): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(proc)) if (typeof value !== 'function') data[key] = value;
  data.daemon = proc.daemon;
  return data;
}

function reportStartFailure(name: string, error: unknown): number {
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  process.stderr.write(`Process ${name}:\n${text}\n`);
  return 1;
}
