/**
 * The main thread's table of live Processes for one system: launches a target on an exclusive
 * host, turns the host's end into an exit code (0 returned, 1 threw, n from exit(n) or
 * process.exit(n), -15 terminate, -9 kill), reports the exit to the directory (so monitors,
 * links, queues and locks hear of it) and terminates daemon children when their parent ends.
 */
import { nanoid } from 'nanoid';
import type { Host, HostEnd } from '../hosts/host-pool.js';
import type { ProcessInfo, RunRequest } from '../hosts/protocol.js';
import { checkCloneable } from '../handles.js';
import type { SystemImpl } from '../system.js';
import type { Locator } from '../define.js';
import type { ExitReason } from '../types.js';

export interface LaunchRequest {
  locator: Locator;
  args: unknown[];
  name: string;
  daemon: boolean;
  parentId: string | null;
  parent: ProcessInfo['parent'];
  mailbox?: unknown;
}

interface Live {
  id: string;
  pid: number;
  name: string;
  daemon: boolean;
  parentId: string | null;
  host: Host | undefined;
  code: number | null;
  /** exit code to report when the host ends because we ended it */
  signal: number | null;
  exitcode: Promise<number>;
  resolve(code: number): void;
}

const tables = new WeakMap<SystemImpl, ProcessTable>();
/** logging.ts's shared settings ([0] = level, 0 = NOTSET → WARNING) */
const LOG_CONFIG = Symbol.for('troupe.logConfig');
const PYTHON_DEFAULT_LEVEL = 30;

export function processTable(system: SystemImpl): ProcessTable {
  let table = tables.get(system);
  if (!table) {
    table = new ProcessTable(system);
    tables.set(system, table);
  }
  return table;
}

export class ProcessTable {
  private readonly live = new Map<string, Live>();
  private nextPid = 1;
  private readonly usedPids = new Set<number>();

  constructor(private readonly system: SystemImpl) {
    // The exit code is final as soon as the worker reports it; the host's end is only cleanup.
    system.on('processExit', (id: string, code: number, host: Host, hard: boolean) => {
      const proc = this.live.get(id);
      if (!proc || proc.code !== null) return;
      proc.code = code;
      this.finish(proc, code);
      // a worker whose target returned stays warm for the next Process
      if (!hard && proc.signal === null) system.hostPool().release(host);
    });
    system.on('hostEnded', (host: Host, end: HostEnd) => {
      for (const proc of this.live.values()) if (proc.host === host) this.ended(proc, end);
    });
    system.on('terminateProcess', (id: string, reason: ExitReason) => this.signal(id, reason.kind === 'killed' ? -9 : -15));
    system.onShutdown(() => this.terminateAll());
  }

  /** A pid: a positive integer unique among live processes. */
  allocatePid(): number {
    while (this.usedPids.has(this.nextPid)) this.nextPid = (this.nextPid % 0x7fffffff) + 1;
    const pid = this.nextPid;
    this.nextPid = (this.nextPid % 0x7fffffff) + 1;
    this.usedPids.add(pid);
    return pid;
  }

  /** Takes a pid chosen in a worker (its own range), or allocates one if that is taken. */
  adoptPid(pid: unknown): number {
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || this.usedPids.has(pid)) return this.allocatePid();
    this.usedPids.add(pid);
    return pid;
  }

  /** Registers and launches a process; resolves its id and a promise of its exit code. */
  launch(request: LaunchRequest, pid = this.allocatePid()): { id: string; pid: number; exitcode: Promise<number> } {
    let resolve!: (code: number) => void;
    const exitcode = new Promise<number>((r) => (resolve = r));
    const proc: Live = {
      id: nanoid(),
      pid,
      name: request.name,
      daemon: request.daemon,
      parentId: request.parentId,
      host: undefined,
      code: null,
      signal: null,
      exitcode,
      resolve,
    };
    this.live.set(proc.id, proc);
    this.system.registerProcess(proc.id, proc.name, -1, request.parentId);
    void this.run(proc, request);
    return { id: proc.id, pid, exitcode };
  }

  private async run(proc: Live, request: LaunchRequest): Promise<void> {
    const logConfig = (globalThis as Record<symbol, Int32Array | undefined>)[LOG_CONFIG];
    const info: ProcessInfo = {
      name: proc.name,
      pid: proc.pid,
      daemon: proc.daemon,
      id: proc.id,
      mailbox: request.mailbox,
      parent: request.parent,
      logLevel: (logConfig && Atomics.load(logConfig, 0)) || PYTHON_DEFAULT_LEVEL,
    };
    const message: RunRequest = { t: 'run', id: proc.id, loc: request.locator, args: request.args, process: info };
    let host: Host;
    try {
      if (checkCloneable(request.args, 'Process args') || checkCloneable(info, 'process info')) message.h = 1;
      host = await this.system.hostPool().exclusiveHost(message, { detached: proc.daemon });
    } catch (error) {
      process.stderr.write(`Process ${proc.name}:\n${error instanceof Error ? error.stack : String(error)}\n`);
      return this.finish(proc, 1);
    }
    proc.host = host;
    host.load++;
    this.system.moveProcess(proc.id, host.site);
    if (proc.signal !== null) host.terminate();
  }

  private ended(proc: Live, end: HostEnd): void {
    const finished = end.kind === 'finished' && typeof end.result === 'number' ? end.result : undefined;
    const code = proc.signal ?? proc.code ?? finished ?? (end.kind === 'died' ? (end.exitCode && end.exitCode > 0 ? end.exitCode : 1) : 0);
    this.finish(proc, code);
  }

  private finish(proc: Live, code: number): void {
    if (!this.live.has(proc.id)) return;
    this.live.delete(proc.id);
    this.usedPids.delete(proc.pid);
    this.recent.set(proc.id, code);
    if (this.recent.size > 10_000) this.recent.delete(this.recent.keys().next().value!);
    const reason: ExitReason =
      code === 0 ? { kind: 'normal', detail: { exitcode: 0 } } : code < 0 ? { kind: 'killed', detail: { exitcode: code } } : { kind: 'error', detail: { exitcode: code } };
    this.system.actorExited(proc.id, reason);
    proc.resolve(code);
    // Daemon children do not outlive their parent.
    for (const child of this.live.values()) if (child.parentId === proc.id && child.daemon) this.signal(child.id, -15);
  }

  /** terminate (-15) or kill (-9): ends only that process's worker. */
  signal(id: string, code: -15 | -9): void {
    const proc = this.live.get(id);
    if (!proc || proc.code !== null || proc.signal !== null) return;
    proc.signal = code;
    proc.host?.terminate();
  }

  private readonly recent = new Map<string, number>();

  /** The exit code of a recently ended process (for a wait that arrives after the end). */
  lastExitcode(id: string): number {
    return this.recent.get(id) ?? 0;
  }

  exitcodeOf(id: string): Promise<number> | undefined {
    return this.live.get(id)?.exitcode;
  }

  get size(): number {
    return this.live.size;
  }

  private async terminateAll(): Promise<void> {
    const waits = [...this.live.values()].map((proc) => {
      this.signal(proc.id, -15);
      return proc.exitcode;
    });
    await Promise.all(waits);
  }
}
