/**
 * The main thread's table of live Processes for one system: launches a target on an exclusive
 * host, turns the host's end into an exit code (0 returned, 1 threw, n from exit(n) or
 * process.exit(n), -15 terminate, -9 kill) and reports the exit to the directory, so monitors,
 * links, queues and locks hear of it. Parents and children are not linked (Python orphans a
 * terminated parent's children); a daemon child is terminated when its parent ends, and a live
 * child hears that its parent is gone.
 */
import { newId } from '../id.js';
import type { Locator } from '../define.js';
import { checkCloneable } from '../handles.js';
import type { Host, HostEnd } from '../hosts/host.js';
import type { RunRequest } from '../hosts/protocol.js';
import type { SystemImpl } from '../system/system.js';
import type { ExitReason } from '../types.js';
import { currentLogLevel, logConfigBuffer } from './logging.js';
import { Queue, releaseQueue } from './queue.js';
import { EXTENSION, type ProcessInfo, type RunPayload, type ToProcessHost } from './process-protocol.js';
import type { RunResult } from './runner.js';

/** A process registered before its target is known (so handles can name it as their holder). */
export interface ReserveRequest {
  /** chosen by the caller (main, or a worker starting a child) */
  id?: string;
  name: string;
  identity: number[];
  daemon: boolean;
  /** the parent Process's id (null: the main process) */
  parentId: string | null;
  parent: ProcessInfo['parent'];
  /** a supervisor that starts this process as a child: linked to it (function children) */
  supervisor?: string;
  /** the pid chosen by the caller (a worker picks one in its own range) */
  pid?: number;
  /** the host whose code reserved it (a worker): if it ends before launch, so does this process */
  site?: number;
}

export interface LaunchRequest extends ReserveRequest {
  locator: Locator;
  args: unknown[];
  subclass: boolean;
}

/** How often a process whose worker died before it was up is started on another. */
const START_RETRIES = 2;

interface Live {
  id: string;
  pid: number;
  name: string;
  daemon: boolean;
  parentId: string | null;
  request: ReserveRequest;
  /** reserved, not launched yet */
  launched: boolean;
  host: Host | undefined;
  /** what run() was given, and how often its worker died before it started (it is run again) */
  launch?: { request: LaunchRequest; retries: number };
  code: number | null;
  /** exit code to report when the host ends because we ended it */
  signal: number | null;
  exitcode: Promise<number>;
  resolve(code: number): void;
  /** made on first use (mailbox()) */
  mailbox: Queue | undefined;
  /** its parent ended with this code (it is an orphan) */
  parentExitcode?: number;
}

const RECENT = 10_000;

export class ProcessTable {
  private readonly live = new Map<string, Live>();
  private readonly byHost = new Map<Host, Live>();
  private nextPid = 1;
  private readonly usedPids = new Set<number>();
  private readonly recent = new Map<string, number>();

  constructor(private readonly system: SystemImpl) {}

  /** A pid: a positive integer unique among live processes. */
  allocatePid(): number {
    while (this.usedPids.has(this.nextPid)) this.nextPid = (this.nextPid % 0x7fffffff) + 1;
    const pid = this.nextPid;
    this.nextPid = (this.nextPid % 0x7fffffff) + 1;
    this.usedPids.add(pid);
    return pid;
  }

  /** Takes a pid chosen in a worker (its own range), or allocates one if that is taken. */
  private adoptPid(pid: unknown): number {
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || this.usedPids.has(pid)) return this.allocatePid();
    this.usedPids.add(pid);
    return pid;
  }

  /** The Process running on `host` (the parent of processes started there). */
  processOn(host: Host): { id: string; name: string; pid: number } | undefined {
    const proc = this.byHost.get(host);
    return proc && { id: proc.id, name: proc.name, pid: proc.pid };
  }

  /** Registers a process (monitors, links and handles can name it) before its target is located. */
  reserve(request: ReserveRequest): { id: string; pid: number; exitcode: Promise<number> } {
    let resolve!: (code: number) => void;
    const exitcode = new Promise<number>((r) => (resolve = r));
    const pid = request.pid === undefined ? this.allocatePid() : this.adoptPid(request.pid);
    const id = request.id ?? newId();
    const proc: Live = { id, pid, name: request.name, daemon: request.daemon, parentId: request.parentId, request, launched: false, host: undefined, code: null, signal: null, exitcode, resolve, mailbox: undefined };
    this.live.set(proc.id, proc);
    this.system.registerExternal(proc.id, proc.name, request.supervisor ?? null, {
      stop: (reason) => this.signal(proc.id, reason.kind === 'killed' ? -9 : -15),
      kill: () => this.signal(proc.id, -9),
      // a message to the process is a put to its mailbox, made here in main (DESIGN §4.1)
      deliver: (envelope) => {
        const mailbox = this.mailbox(proc.id);
        if (mailbox) void mailbox.putNowait(envelope.msg).catch(() => {});
        else this.system.deadLetter(envelope);
      },
    });
    if (request.supervisor !== undefined) this.system.link(request.supervisor, proc.id);
    return { id, pid, exitcode };
  }

  /** A live process's mailbox, made now if it has none yet (undefined once it has ended). */
  mailbox(id: string): Queue | undefined {
    const proc = this.live.get(id);
    if (!proc) return undefined;
    return (proc.mailbox ??= new Queue());
  }

  /** Runs a reserved process's target on an exclusive host of its own. */
  launch(id: string, locator: Locator, args: unknown[], subclass: boolean): void {
    const proc = this.live.get(id);
    if (!proc || proc.launched) return;
    proc.launched = true;
    if (proc.signal !== null) return this.finish(proc, proc.signal);
    void this.run(proc, { ...proc.request, locator, args, subclass });
  }

  /** A reserved process whose target could not be located never runs: exit code 1. */
  abandon(id: string): void {
    const proc = this.live.get(id);
    if (proc && !proc.launched) this.finish(proc, 1);
  }

  /** Registers and launches a process at once (its locator is known). */
  start(request: LaunchRequest): { id: string; pid: number; exitcode: Promise<number> } {
    const reserved = this.reserve(request);
    this.launch(reserved.id, request.locator, request.args, request.subclass);
    return reserved;
  }

  private async run(proc: Live, request: LaunchRequest): Promise<void> {
    proc.launch ??= { request, retries: 0 };
    const info: ProcessInfo = {
      name: proc.name,
      identity: request.identity,
      pid: proc.pid,
      daemon: proc.daemon,
      id: proc.id,
      parent: request.parent,
      logLevel: currentLogLevel(),
      logConfig: logConfigBuffer(),
    };
    if (proc.parentExitcode !== undefined) info.parentExitcode = proc.parentExitcode;
    const payload: RunPayload = { loc: request.locator, args: request.args, subclass: request.subclass, process: info };
    const message: RunRequest = { t: 'run', ext: EXTENSION, id: proc.id, payload };
    let host: Host;
    try {
      // the rest of the payload is ours and plain: only the arguments may hold handles
      if (checkCloneable(request.args, 'Process args')) message.handles = 1;
      host = await this.system.hostPool().exclusiveHost(message, { keepAlive: !proc.daemon });
    } catch (error) {
      process.stderr.write(`Process ${proc.name}:\n${error instanceof Error ? error.stack : String(error)}\n`);
      return this.finish(proc, 1);
    }
    proc.host = host;
    this.byHost.set(host, proc);
    this.system.placeExternal(proc.id, host.site);
    if (proc.signal !== null) host.terminate();
    // its parent ended while a host was found: the run request went first, this follows it
    else if (proc.parentExitcode !== undefined && info.parentExitcode === undefined) {
      host.post({ t: 'ext', ext: EXTENSION, msg: { type: 'parentExited', code: proc.parentExitcode } satisfies ToProcessHost });
    }
  }

  /**
   * The worker reported the target's exit code: final at once; the host stays warm for the next
   * Process, unless the target left something running that could not be dropped.
   */
  taskEnded(host: Host, result: unknown): void {
    const proc = this.byHost.get(host);
    if (!proc || proc.code !== null) return;
    this.byHost.delete(host);
    const ran = result as Partial<RunResult> | undefined;
    const code = typeof ran?.code === 'number' ? ran.code : 1;
    proc.code = code;
    this.finish(proc, code);
    if (proc.signal !== null) return;
    if (ran?.retire) host.post({ t: 'close' });
    else this.system.hostPool().release(host);
  }

  /** process.exit(n) in the target: the worker is parked; its code is final and the host is ended. */
  exited(host: Host, code: number): void {
    const proc = this.byHost.get(host);
    if (proc && proc.code === null) {
      // Node ends a worker on an uncaught exception through process.exit(1)
      if (host.fatal !== undefined) printUncaught(proc.name, host.fatal);
      proc.code = code;
      this.finish(proc, code);
    }
    host.terminate();
  }

  hostEnded(host: Host, end: HostEnd): void {
    // processes a dead worker reserved but never launched will not run
    for (const reserved of [...this.live.values()]) if (!reserved.launched && reserved.request.site === host.site) this.finish(reserved, 1);
    const proc = this.byHost.get(host);
    if (!proc) return;
    this.byHost.delete(host);
    const finished = end.kind === 'finished' && typeof end.result === 'number' ? end.result : undefined;
    if (end.kind === 'died' && proc.signal === null && proc.code === null) {
      if (host.threadId < 0 && proc.launch && proc.launch.retries < START_RETRIES) {
        // its worker died before it was up (a pool thread being torn down was handed the task):
        // nothing of the process ran, so it starts on another worker, as if nothing happened
        proc.launch.retries++;
        proc.host = undefined;
        this.system.log.warn({ process: proc.name, pid: proc.pid, cause: end.cause }, `the worker of process ${proc.name} died before it started (${end.cause}); starting it on another`);
        void this.run(proc, proc.launch.request);
        return;
      }
      // nobody signalled it and its target did not end: its worker died under it (say why)
      if (end.error !== undefined) printUncaught(proc.name, end.error);
      this.system.log.error({ process: proc.name, pid: proc.pid, cause: end.cause, exitCode: end.exitCode, err: end.error }, `the worker of process ${proc.name} died under it: ${end.cause}`);
    }
    const code = proc.signal ?? proc.code ?? finished ?? (end.kind === 'died' ? (end.exitCode && end.exitCode > 0 ? end.exitCode : 1) : 0);
    this.finish(proc, code);
  }

  private finish(proc: Live, code: number): void {
    if (!this.live.has(proc.id)) return;
    this.live.delete(proc.id);
    this.usedPids.delete(proc.pid);
    // nobody reads a finished process's mailbox: free its server
    if (proc.mailbox) void releaseQueue(proc.mailbox).catch(() => {});
    this.recent.set(proc.id, code);
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value!);
    const reason: ExitReason =
      code === 0 ? { kind: 'normal', detail: { exitcode: 0 } } : code < 0 ? { kind: 'killed', detail: { exitcode: code } } : { kind: 'error', detail: { exitcode: code } };
    this.system.actorExited(proc.id, reason);
    proc.resolve(code);
    for (const child of this.live.values()) {
      if (child.parentId !== proc.id) continue;
      // Daemon children do not outlive their parent; the others are orphaned and told so.
      if (child.daemon) this.signal(child.id, -15);
      else {
        child.parentExitcode = code;
        child.host?.post({ t: 'ext', ext: EXTENSION, msg: { type: 'parentExited', code } satisfies ToProcessHost });
      }
    }
  }

  /** terminate (-15) or kill (-9): ends only that process's worker. */
  signal(id: string, code: -15 | -9): void {
    const proc = this.live.get(id);
    if (!proc || proc.code !== null || proc.signal !== null) return;
    proc.signal = code;
    if (proc.host) proc.host.terminate();
    else if (!proc.launched) this.finish(proc, code);
  }

  /** The exit code of a live process when it ends, or of a recently ended one. */
  exitcodeOf(id: string): Promise<number> | number {
    return this.live.get(id)?.exitcode ?? this.recent.get(id) ?? 0;
  }

  /** null while process `id` lives, else its exit code (0 if long forgotten). */
  endedWith(id: string): number | null {
    return this.live.has(id) ? null : (this.recent.get(id) ?? 0);
  }

  get size(): number {
    return this.live.size;
  }

  /** Live processes, for the exit-time log records. */
  get processes(): Array<{ name: string; daemon: boolean }> {
    return [...this.live.values()].map((proc) => ({ name: proc.name, daemon: proc.daemon }));
  }

  async terminateAll(): Promise<void> {
    const waits = [...this.live.values()].map((proc) => {
      this.signal(proc.id, -15);
      return proc.exitcode;
    });
    await Promise.all(waits);
  }
}

/** An exception outside the target ended a process: printed as Python prints its target's. */
function printUncaught(name: string, error: Error): void {
  process.stderr.write(`Process ${name}:\n${error.stack ?? `${error.name}: ${error.message}`}\n`);
}
