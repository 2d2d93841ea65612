/**
 * The worker side of a host: a Runtime whose non-local traffic goes to main over the control port
 * (batched), which starts cells on request, runs a Process target in exclusive mode, and beats a
 * heartbeat the main thread's watchdog reads. Worker-wide state sits behind a globalThis slot so
 * user code that resolved a different copy of troupe still finds it.
 */
import { EventEmitter } from 'node:events';
import { threadId } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import type { Cell, Envelope } from '../cell.js';
import { exitCodeOf } from '../cell.js';
import { isDefinition, fromMachine, type Definition, type Locator } from '../define.js';
import { reviveError, RuntimeError, serializeError, SystemExit } from '../errors.js';
import { checkCloneable, reviveHandles } from '../handles.js';
import { Runtime, decodeBatch, noProcReply, type ReplyEnvelope } from '../runtime.js';
import { Outbox } from './outbox.js';
import type { ActorDefinition, ActorRef, ExitReason, SpawnOptions, Supervisor, SupervisorSpec, System } from '../types.js';
import { load } from './load.js';
import { Peer } from './peers.js';
import type { FromHost, HostTask, ProcessInfo, RunRequest, SpawnRequest, ToHost } from './protocol.js';
import { locate, serializeReason, reviveReason } from '../wire.js';

const HOST_SLOT = Symbol.for('troupe.host');
/** watch word 1: how many module loads are under way (the watchdog waits for them) */
const LOADING_SLOT = 1;
/** set by multiprocessing/logging.ts: posts the worker's pending log records now */
const FLUSH_LOGS = Symbol.for('troupe.flushWorkerLogs');
/** set by multiprocessing/queue.ts: posts the items a process put but has not sent yet */
const FLUSH_FEEDERS = Symbol.for('troupe.flushQueueFeeders');

/** The worker's view of the system: spawn and names go through main. */
class WorkerSystem extends EventEmitter implements System {
  constructor(private readonly host: HostRuntime) {
    super();
  }
  get name(): string {
    return this.host.systemName;
  }
  spawn(def: ActorDefinition, options?: SpawnOptions): Promise<ActorRef> {
    return this.host.spawnChild(null, def, options ?? {});
  }
  get(name: string): ActorRef | undefined {
    return this.host.namedRef(name);
  }
  supervise(_spec: SupervisorSpec): Promise<Supervisor> {
    return Promise.reject(new RuntimeError('supervise() runs in the main thread: start supervisors from main, or spawn actors from here'));
  }
  shutdown(): Promise<void> {
    return Promise.reject(new RuntimeError('shutdown() belongs to the main thread that created the system'));
  }
}

export class HostRuntime extends Runtime {
  readonly site: number;
  readonly systemName: string;
  readonly system: System;
  private logger: Logger | undefined;
  private readonly logLevel: string;
  readonly mode: 'shared' | 'exclusive';
  private readonly port: import('node:worker_threads').MessagePort;
  private readonly calls = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private nextCall = 1;
  private readonly toMain = new Outbox((envelopes, replies, transfer) => {
    if (envelopes !== undefined) this.post({ t: 'd', b: envelopes }, transfer);
    if (replies !== undefined) this.post({ t: 'r', b: replies });
  });
  private dead: Envelope[] = [];
  /** direct links to other hosts, and where actors we send to live */
  private readonly peers = new Map<number, Peer>();
  private readonly where = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | undefined;
  private beats: Int32Array | undefined;
  private finish!: (value: unknown) => void;
  readonly done: Promise<unknown>;
  /** the Process running here (exclusive mode) */
  process: ProcessInfo | undefined;
  exitcodeSent = false;

  constructor(task: HostTask) {
    super();
    this.site = task.site;
    this.systemName = task.system;
    this.mode = task.mode;
    this.port = task.control as never;
    this.system = new WorkerSystem(this);
    this.logLevel = task.logLevel;
    this.done = new Promise((resolve) => (this.finish = resolve));
    const beats = task.mode === 'shared' ? new Int32Array(task.watch) : undefined;
    this.beats = beats;
    this.heartbeat = beats ? setInterval(() => Atomics.add(beats, 0, 1), 20) : undefined;
    this.heartbeat?.unref();
    this.port.on('message', (message: ToHost) => this.onMessage(message));
    this.port.on('close', () => this.close());
    this.post({ t: 'ready', threadId });
    if (task.run) void this.run(task.run);
  }

  /** The host's pino logger (made on first use): its JSON lines go to main in batches. */
  get log(): Logger {
    if (!this.logger) {
      const batch: string[] = [];
      const destination = { write: (line: string) => void (batch.push(line) === 1 && queueMicrotask(() => this.post({ t: 'log', b: batch.splice(0) }))) };
      this.logger = pino({ level: this.logLevel, base: { system: this.systemName, host: this.site } }, destination);
    }
    return this.logger;
  }

  post(message: FromHost, transfer?: readonly unknown[]): void {
    this.port.postMessage(message, transfer as never);
  }

  // ---- transport ------------------------------------------------------------------------------

  protected forward(envelope: Envelope, transfer: readonly unknown[] | undefined): void {
    const site = this.where.get(envelope.to);
    if (site !== undefined) {
      const peer = this.peers.get(site);
      if (peer && !peer.closed) return peer.send(envelope, transfer);
    }
    this.toMain.send(envelope, transfer);
  }

  protected forwardReply(reply: ReplyEnvelope): void {
    const peer = this.peers.get(reply.a.s);
    if (peer && !peer.closed) return peer.reply(reply);
    this.toMain.reply(reply);
  }

  deadLetter(envelope: Envelope): void {
    if (this.dead.push(envelope) === 1) queueMicrotask(this.flush);
  }

  /** Sends everything queued this tick; called before the worker blocks or ends. */
  readonly flush = (): void => {
    this.toMain.flush();
    if (this.dead.length > 0) {
      const batch = this.dead;
      this.dead = [];
      this.post({ t: 'dead', b: batch });
    }
  };

  // ---- kernel calls (RPC to main) ---------------------------------------------------------------

  call(op: string, args: unknown[]): Promise<unknown> {
    const rid = this.nextCall++;
    let h: 1 | undefined;
    try {
      if (checkCloneable(args, `${op} arguments`)) h = 1;
    } catch (error) {
      return Promise.reject(error);
    }
    this.flush();
    return new Promise((resolve, reject) => {
      this.calls.set(rid, { resolve, reject });
      this.post(h ? { t: 'call', rid, op, args, h } : { t: 'call', rid, op, args });
    });
  }

  async spawnChild(parentId: string | null, def: ActorDefinition, opts: SpawnOptions): Promise<ActorRef> {
    const locator = await locate(def);
    const { id, name } = (await this.call('spawn', [locator, { ...opts, parent: parentId }])) as { id: string; name?: string };
    return this.ref(id, name);
  }

  namedRef(name: string): ActorRef {
    return this.ref(`name:${name}`, name);
  }

  link(a: string, b: string): void {
    void this.call('link', [a, b]).catch(() => {});
  }

  monitor(watcher: string, target: string): void {
    void this.call('monitor', [watcher, target]).catch(() => {});
  }

  stop(id: string, reason: ExitReason): Promise<void> {
    return this.call('stop', [id, serializeReason(reason)]) as Promise<void>;
  }

  exited(id: string): Promise<ExitReason> {
    return this.call('exited', [id]).then(reviveReason);
  }

  persist(id: string, snapshot: unknown): void {
    this.post({ t: 'call', rid: 0, op: 'persist', args: [id, snapshot] });
  }

  cellExited(cell: Cell, reason: ExitReason): void {
    this.cells.delete(cell.id);
    this.flush();
    this.post({ t: 'exited', id: cell.id, reason: serializeReason(reason) });
  }

  // ---- control messages -----------------------------------------------------------------------

  private onMessage(message: ToHost): void {
    // a host busy with a stream of messages is alive even if its timers lag
    if (this.beats) Atomics.add(this.beats, 0, 1);
    switch (message.t) {
      case 'd':
        for (const envelope of decodeBatch(message.b)) this.receive(envelope);
        return;
      case 'r':
        for (const reply of message.b) this.receiveReply(reply);
        return;
      case 'spawn':
        return void this.spawnLocal(message);
      case 'run':
        return void this.run(message);
      case 'stop':
        this.cells.get(message.id)?.requestStop(reviveReason(message.reason));
        return;
      case 'kill':
        void this.cells.get(message.id)?.finish(reviveReason(message.reason), false);
        return;
      case 'crash': {
        const cell = this.cells.get(message.id);
        if (!cell) return;
        cell.injected = reviveError(message.error) as Error;
        cell.enqueue({ to: cell.id, m: { type: '$crash' } });
        return;
      }
      case 'hang':
        this.cells.get(message.id)?.hang(message.ms);
        return;
      case 'down':
        for (const id of message.ids) this.where.delete(id);
        this.targetsDown(new Set(message.ids));
        return;
      case 'peer':
        this.addPeer(message.site, message.port);
        return;
      case 'where': {
        const peer = this.peers.get(message.site);
        if (!peer || peer.closed) return;
        // everything sent to main so far goes first; then the fence; then direct sends
        this.flush();
        this.post({ t: 'fence', to: message.site, seq: peer.nextFence() });
        if (this.where.size > 100_000) this.where.clear();
        this.where.set(message.id, message.site);
        return;
      }
      case 'fence':
        this.peers.get(message.from)?.fenceArrived(message.seq);
        return;
      case 'res': {
        const call = this.calls.get(message.rid);
        if (!call) return;
        this.calls.delete(message.rid);
        if (message.ok) call.resolve(message.h ? reviveHandles(message.v, this) : message.v);
        else call.reject(reviveError(message.v));
        return;
      }
      case 'task':
        return void this.runTask(message.rid, message.loc, message.h ? reviveHandles(message.args, this) : message.args);
      case 'close':
        return void this.close();
    }
  }

  private addPeer(site: number, port: import('node:worker_threads').MessagePort): void {
    const peer = new Peer(site, port, this, () => {
      this.peers.delete(site);
      for (const [id, at] of this.where) if (at === site) this.where.delete(id);
      for (const envelope of peer.takeUnsent()) noProcReply(this, envelope);
    });
    this.peers.set(site, peer);
  }

  private readonly taskCache = new Map<string, Promise<unknown>>();

  /** One Pool task: call the loaded function, post its result (or error) back. */
  private async runTask(rid: number, locator: Locator, args: unknown[]): Promise<void> {
    let reply: FromHost;
    try {
      const key = locator.by === 'export' ? `${locator.module}#${locator.exportName}` : locator.source;
      let loaded = this.taskCache.get(key);
      if (!loaded) this.taskCache.set(key, (loaded = load(locator)));
      const fn = (await loaded) as (...a: unknown[]) => unknown;
      const value = await fn(...args);
      reply = { t: 'taskDone', rid, ok: true, v: value };
      if (checkCloneable(value, 'task result')) reply.h = 1;
      try {
        this.post(reply);
        return;
      } catch (error) {
        reply = { t: 'taskDone', rid, ok: false, v: serializeError(error) };
      }
    } catch (error) {
      reply = { t: 'taskDone', rid, ok: false, v: serializeError(error) };
    }
    this.post(reply);
  }

  private readonly definitions = new Map<string, Promise<Definition>>();

  /**
   * Module loading blocks this thread (Node 20 waits for its loader-hooks thread), so the
   * heartbeat stops: tell the watchdog the host is loading, not stuck.
   */
  private whileLoading<T>(load: () => Promise<T>): Promise<T> {
    const beats = this.beats;
    if (!beats) return load();
    Atomics.add(beats, LOADING_SLOT, 1);
    return load().finally(() => Atomics.sub(beats, LOADING_SLOT, 1));
  }

  private async spawnLocal(request: SpawnRequest): Promise<void> {
    try {
      const key = request.loc.by === 'export' ? `${request.loc.module}#${request.loc.exportName}` : request.loc.source;
      let loading = this.definitions.get(key);
      if (!loading) {
        this.definitions.set(key, (loading = this.whileLoading(() => definitionFrom(request.loc))));
        loading.catch(() => this.definitions.delete(key));
      }
      const def = await loading;
      const args = request.h ? reviveHandles(request.args, this) : request.args;
      await this.startCell(def, request.id, request.name, request.parent, args, request.snapshot);
      this.post({ t: 'spawned', rid: request.rid, ok: true, v: null });
    } catch (error) {
      this.post({ t: 'spawned', rid: request.rid, ok: false, v: serializeError(error) });
    }
  }

  /** Runs a Process target to its end; the tinypool task resolves with its exit code. */
  private async run(request: RunRequest): Promise<void> {
    const info: ProcessInfo = request.h ? reviveHandles(request.process, this) : request.process;
    this.process = info;
    this.defaultSender = request.id;
    this.lifecycle('child process calling self.run()', info.name);
    let exitcode: number;
    try {
      const target = (await load(request.loc)) as (...args: unknown[]) => unknown;
      if (typeof target !== 'function') throw new RuntimeError(`the Process target loaded in the worker is not a function (${typeof target})`);
      const args = request.h ? reviveHandles(request.args, this) : request.args;
      if (isProcessSubclass(target)) {
        const self = Object.create(target.prototype) as { run(): unknown; mailbox?: unknown };
        Object.assign(self, args[0], { mailbox: info.mailbox });
        await self.run();
      } else {
        await (target as (...a: unknown[]) => unknown)(...args);
      }
      exitcode = 0;
    } catch (error) {
      exitcode = error instanceof SystemExit || (error as Error)?.name === 'SystemExit' ? exitOf(error as SystemExit) : uncaught(info.name, error);
    }
    await flushStdio();
    this.endProcess(exitcode);
  }

  /**
   * Reports the exit code (once). The host then waits for main: another Process to run here
   * (a warm host is reused) or `close`. After process.exit(n) the thread is parked instead.
   */
  endProcess(exitcode: number, hard = false): void {
    if (this.exitcodeSent || !this.process) return;
    this.exitcodeSent = true;
    const name = this.process!.name;
    this.lifecycle('process shutting down', name);
    this.lifecycle(`process exiting with exitcode ${exitcode}`, name);
    (globalThis as Record<symbol, (() => void) | undefined>)[FLUSH_LOGS]?.();
    (globalThis as Record<symbol, (() => void) | undefined>)[FLUSH_FEEDERS]?.();
    this.flush();
    this.post({ t: 'exitcode', id: this.process!.id, code: exitcode, hard });
    if (hard) return this.close(exitcode);
    this.process = undefined;
    this.defaultSender = undefined;
    this.exitcodeSent = false;
  }

  /** Python's lifecycle records (INFO), written by main's log sink if the level lets them. */
  private lifecycle(message: string, name: string): void {
    if ((this.process?.logLevel ?? 0) > 20) return;
    this.post({ t: 'log', b: [{ l: 20, n: name, m: message }] });
  }

  private closing = false;
  private close(result: unknown = null): void {
    if (this.closing) return;
    this.closing = true;
    for (const cell of this.cells.values()) void cell.finish({ kind: 'shutdown' }, true);
    this.flush();
    for (const peer of this.peers.values()) {
      peer.flush();
      peer.close();
    }
    clearInterval(this.heartbeat);
    if (this.pendingCount > 0) this.rejectAllPending(new RuntimeError('the host worker closed'));
    for (const call of this.calls.values()) call.reject(new RuntimeError('the host worker closed'));
    this.calls.clear();
    delete (globalThis as Record<symbol, unknown>)[HOST_SLOT];
    this.post({ t: 'closed' });
    this.port.close();
    this.finish(result);
  }

  /** Kernel-call dispatch from main for messages that target no cell. */
  override receive(envelope: Envelope): void {
    if (envelope.h === 1) envelope.m = reviveHandles(envelope.m, this);
    const cell = this.cells.get(envelope.to);
    if (cell) return cell.enqueue(envelope);
    if (this.process && envelope.to === this.process.id) return this.toMailbox(envelope);
    this.deadLetter(envelope);
  }

  /** Messages sent to the Process's ref land in its mailbox queue. */
  private toMailbox(envelope: Envelope): void {
    const mailbox = this.process?.mailbox as { putNowait?(x: unknown): Promise<void> } | undefined;
    if (!mailbox?.putNowait) return noProcReply(this, envelope);
    mailbox.putNowait(envelope.m).catch(() => {});
  }
}

function isProcessSubclass(fn: Function): fn is Function & { prototype: { run(): unknown } } {
  return /^class\b/.test(Function.prototype.toString.call(fn)) && typeof fn.prototype?.run === 'function';
}

function exitOf(error: SystemExit): number {
  const code = error.code;
  if (code !== null && code !== undefined && typeof code !== 'number' && typeof code !== 'boolean') {
    process.stderr.write(`${String(code)}\n`);
  }
  return exitCodeOf(code);
}

/** Python prints `Process <name>:` and the traceback; we print the stack. */
function uncaught(name: string, error: unknown): number {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  process.stderr.write(`Process ${name}:\n${text}\n`);
  return 1;
}

function flushStdio(): Promise<void> {
  return Promise.all(
    [process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => (stream.writableLength > 0 ? stream.write('', () => resolve()) : resolve()))),
  ).then(() => {});
}

async function definitionFrom(locator: Locator): Promise<Definition> {
  const loaded = await load(locator);
  if (isDefinition(loaded)) return loaded;
  if (typeof loaded === 'object' && loaded !== null && typeof (loaded as { transition?: unknown }).transition === 'function') {
    return fromMachine(loaded as never) as Definition;
  }
  throw new RuntimeError(`the export loaded from ${locator.by === 'export' ? `${locator.module}#${locator.exportName}` : 'source'} is not an actor definition`);
}

/** The host runtime of this worker thread, if it is one (shared by every copy of troupe). */
export function currentHost(): HostRuntime | undefined {
  return (globalThis as Record<symbol, HostRuntime | undefined>)[HOST_SLOT];
}

let installedExit = false;
/** process.exit(n) in a target ends only that process (exclusive) or actor (shared), with code n. */
function installExit(): void {
  if (installedExit) return;
  installedExit = true;
  const realExit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    const host = currentHost();
    const exitcode = typeof code === 'number' ? code : code ? Number(code) || 1 : (process.exitCode as number | undefined) ?? 0;
    if (!host) return realExit(exitcode);
    if (host.mode === 'exclusive' && host.process) {
      host.endProcess(exitcode, true);
      // Nothing after process.exit may run: park the thread until main terminates this worker.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
    throw new SystemExit(exitcode);
  }) as typeof process.exit;
}

/** tinypool task entry (see bootstrap.js). */
let facade: Promise<unknown> | undefined;

export async function runHost(task: HostTask & Partial<RunRequest>): Promise<unknown> {
  installExit();
  // The worker's composition root: the facade registers how queues, pipes and locks revive, so
  // a handle arriving here works even if the target never imports troupe/multiprocessing.
  await (facade ??= import('../multiprocessing/index.js'));
  const host = new HostRuntime(task);
  (globalThis as Record<symbol, HostRuntime>)[HOST_SLOT] = host;
  return host.done;
}

export type { FromHost };
