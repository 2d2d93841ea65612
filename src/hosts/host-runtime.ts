/**
 * The worker side of a host: a Runtime whose non-local traffic goes to main through one ring in
 * shared memory (written at once, in order: a send that has returned survives this worker's
 * death), which takes main's messages from its control port, starts cells on request, keeps a replica of the name table, runs an exclusive
 * host's one task through the host-side extension that owns it, and beats a heartbeat the main
 * thread's watchdog reads. Everything Python-specific lives in the facade's host extension.
 */
import { receiveMessageOnPort, threadId } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import type { Cell } from '../cell.js';
import { locate, type Locator } from '../define.js';
import type { Envelope, ReplyEnvelope } from '../envelope.js';
import { reviveError, RuntimeError, serializeError } from '../errors.js';
import { hostExtension, type HostView } from '../extension.js';
import { checkCloneable, HAS_HANDLES, NOT_JSON, reviveHandles } from '../handles.js';
import { Runtime, noProcReply } from '../runtime.js';
import type { ActorDefinition, ActorRef, ExitReason, SpawnOptions, System } from '../types.js';
import { RingWriter } from '../transport/ring-writer.js';
import { envelopeRecord, readBatch, type WireBatch, ITEM_AGAIN_HEAD, itemRecord, replyRecord, replyRecordHead, reviveReason, sameHeader, serializeReason, type ItemHeader } from '../wire.js';
import { Loader } from './loader.js';
import { BusyWait } from './busy-wait.js';
import { ANSWERS, POSTS } from './host.js';
import { unreachable, type FromHost, type HostTask, type RunRequest, type SpawnRequest, type ToHost, type ToHostWire } from './protocol.js';
import { WorkerSystem } from './worker-system.js';

/** watch word 0: heartbeat (word 1, modules loading, is the loader's) */
const HEARTBEAT_SLOT = 0;

export class HostRuntime extends Runtime {
  readonly site: number;
  readonly systemName: string;
  readonly system: System;
  readonly mode: 'shared' | 'exclusive';
  /** replica of the system's name table (name → actor id), kept current by main */
  readonly names: Map<string, string>;
  private logger: Logger | undefined;
  private readonly logLevel: string;
  private readonly port: import('node:worker_threads').MessagePort;
  private readonly calls = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private nextCall = 1;
  /** everything this worker sends, in one FIFO to main */
  private readonly toMain: RingWriter;
  /** the header of the last item record written to the ring (wire.ts ITEM_AGAIN) */
  private lastItem: ItemHeader | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly beats: Int32Array | undefined;
  private readonly watchWords: Int32Array;
  private finish!: (value: unknown) => void;
  readonly done: Promise<unknown>;
  private readonly hostTask: HostTask;
  private readonly loader: Loader;
  /** the extension whose task runs here now (exclusive hosts) */
  private running: string | undefined;
  private readonly view: HostView;
  /** waits awake for main's next message while the exchange with main is quick */
  private readonly busyWait: BusyWait<ToHostWire>;

  constructor(task: HostTask) {
    super();
    this.hostTask = task;
    this.site = task.site;
    this.systemName = task.system;
    this.mode = task.mode;
    this.port = task.control as never;
    this.toMain = new RingWriter(task.ring, task.side as never, () => this.port.postMessage(0));
    (task.side as unknown as { unref(): void }).unref();
    this.system = new WorkerSystem(this);
    this.logLevel = task.logLevel;
    this.names = new Map(task.names);
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.watchWords = new Int32Array(task.watch);
    this.beats = task.mode === 'shared' ? this.watchWords : undefined;
    this.loader = new Loader(this.beats);
    // a shared host's actors may await main at any time; an exclusive host's only while its task runs
    this.busyWait = new BusyWait(this.port, this.watchWords, POSTS, task.spin, task.spinWords, task.site, () => this.mode === 'shared' || this.running !== undefined, this.dispatch);
    const host = this;
    this.view = {
      site: this.site,
      mode: this.mode,
      post: (message) => host.post({ t: 'ext', ext: host.running ?? '', msg: message }),
      close: () => host.close(),
    };
  }

  /** Takes work from main (once the extensions are loaded) and runs the task it came with. */
  start(): Promise<unknown> {
    const beats = this.beats;
    this.heartbeat = beats ? setInterval(() => Atomics.add(beats, HEARTBEAT_SLOT, 1), 20) : undefined;
    this.heartbeat?.unref();
    this.port.on('message', (message: ToHostWire) => this.busyWait.received(message));
    this.port.on('close', () => this.close());
    this.post({ t: 'ready', threadId });
    if (this.hostTask.run) void this.run(this.hostTask.run);
    return this.done;
  }

  /** The host's pino logger (made on first use): each JSON line goes to main as it is written. */
  get log(): Logger {
    if (!this.logger) {
      const destination = { write: (line: string) => this.post({ t: 'log', line }) };
      this.logger = pino({ level: this.logLevel, base: { system: this.systemName, host: this.site } }, destination);
    }
    return this.logger;
  }

  post(message: FromHost, transfer?: readonly unknown[]): void {
    this.toMain.write(message, transfer);
  }

  /** An uncaught exception is ending this thread: main learns it first (best effort). */
  fatal(error: unknown): void {
    try {
      this.post({ t: 'fatal', error: serializeError(error) });
    } catch {
      // the ring is closed or full beyond waiting: the worker's exit code still tells main
    }
  }

  /** Posts a message to extension `ext`'s system side, after everything sent before it. */
  postExtension(ext: string, msg: unknown): void {
    this.post({ t: 'ext', ext, msg });
  }

  /** Says on whose behalf code outside actor handlers runs (an exclusive host's task). */
  actAs(id: string | undefined): void {
    this.defaultSender = id;
  }

  /** Immediates the host itself has queued (a task's leftover work is counted without them). */
  get ownImmediates(): number {
    return this.busyWait.waiting ? 1 : 0;
  }

  /** The extension whose task runs here now, if any. */
  get task(): string | undefined {
    return this.running;
  }

  // ---- transport ------------------------------------------------------------------------------

  protected forward(envelope: Envelope, transfer: readonly unknown[] | undefined): void {
    this.toMain.write(envelopeRecord(envelope), transfer, envelope.clone !== 1);
  }

  protected override forwardItem(to: string, sender: string | undefined, type: string, end: number | undefined, item: unknown, flags: number): void {
    const from = sender ?? 0;
    const handles = flags & HAS_HANDLES ? 1 : 0;
    const last = end ?? null;
    const plain = (flags & NOT_JSON) === 0;
    if (sameHeader(this.lastItem, to, from, handles, type, last)) {
      if (plain) this.toMain.writeWrapped(ITEM_AGAIN_HEAD, JSON.stringify(item), ']');
      else this.toMain.write(itemRecord(this.lastItem!, item, true), undefined, false);
      return;
    }
    const header: ItemHeader = { to, from, handles, type, end: last };
    this.toMain.write(itemRecord(header, item, false), undefined, plain);
    // only once written: main reads ITEM_AGAIN records against the header it has seen
    this.lastItem = header;
  }

  protected forwardReply(reply: ReplyEnvelope): void {
    if (reply.clone === 0) this.toMain.writeWrapped(replyRecordHead(reply), JSON.stringify(reply.value), ']');
    else this.toMain.write(replyRecord(reply), undefined, reply.clone === undefined ? undefined : false);
  }

  deadLetter(envelope: Envelope): void {
    this.post({ t: 'dead', envelope });
  }

  // ---- kernel calls (RPC to main) ---------------------------------------------------------------

  /** Calls a kernel op in main (`ext`: an extension's op); everything sent before goes first. */
  call(op: string, args: unknown[], ext?: string): Promise<unknown> {
    const rid = this.nextCall++;
    let handles: 1 | undefined;
    try {
      if (checkCloneable(args, `${op} arguments`)) handles = 1;
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.calls.set(rid, { resolve, reject });
      const message: FromHost = { t: 'call', rid, op, args };
      if (ext !== undefined) message.ext = ext;
      if (handles) message.handles = 1;
      this.post(message);
    });
  }

  /**
   * A kernel call whose answer this thread waits for, blocked (a sync API: attaching shared
   * memory by name). Only for ops main answers by itself: main never waits for this worker then.
   * Messages that arrive meanwhile are handled in order once the answer is in.
   */
  callSync(op: string, args: unknown[], ext?: string): unknown {
    const rid = this.nextCall++;
    checkCloneable(args, `${op} arguments`);
    const words = this.watchWords;
    const seen = Atomics.load(words, ANSWERS);
    const message: FromHost = { t: 'call', rid, op, args, sync: 1 };
    if (ext !== undefined) message.ext = ext;
    this.post(message);
    let answer: Extract<ToHost, { t: 'result' }> | undefined;
    const held: ToHost[] = [];
    while (answer === undefined) {
      Atomics.wait(words, ANSWERS, seen, 30_000);
      for (let next = receiveMessageOnPort(this.port); next; next = receiveMessageOnPort(this.port)) {
        const msg = next.message as ToHost;
        if (msg.t === 'result' && msg.rid === rid) answer = msg;
        else held.push(msg);
      }
      if (answer === undefined && Atomics.load(words, ANSWERS) === seen && this.closing) throw new RuntimeError('the host closed during a blocking call');
    }
    // what came in meanwhile is handled after this call returns, in arrival order
    if (held.length > 0) queueMicrotask(() => held.forEach((msg) => this.onMessage(msg)));
    if (!answer.ok) throw reviveError(answer.value);
    return answer.handles ? reviveHandles(answer.value, this) : answer.value;
  }

  async spawnChild(parentId: string | null, def: ActorDefinition, opts: SpawnOptions): Promise<ActorRef> {
    const locator = await locate(def);
    const { id, name } = (await this.call('spawn', [locator, { ...opts, parent: parentId }])) as { id: string; name?: string };
    return this.ref(id, name);
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
    this.post({ t: 'exited', id: cell.id, reason: serializeReason(reason) });
  }

  // ---- control messages -----------------------------------------------------------------------

  private readonly readBatch = (batch: WireBatch): void => readBatch(batch, this);

  private readonly dispatch = (message: ToHostWire): void => {
    // a JSON batch: envelopes, then replies (wire.ts)
    if (typeof message === 'string') return this.onMessage({ t: 'envelopes', batch: message });
    if (Array.isArray(message)) return this.onMessage({ t: 'replies', batch: message });
    this.onMessage(message);
  };

  private onMessage(message: ToHost): void {
    // a host busy with a stream of messages is alive even if its timers lag
    if (this.beats) Atomics.add(this.beats, HEARTBEAT_SLOT, 1);
    switch (message.t) {
      case 'envelopes':
        return this.deliverNow(this.readBatch, message.batch);
      case 'replies':
        for (const reply of message.batch) this.receiveReply(reply);
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
        cell.enqueue({ to: cell.id, msg: { type: '$crash' } });
        return;
      }
      case 'hang':
        this.cells.get(message.id)?.hang(message.ms);
        return;
      case 'down':
        this.targetsDown(new Set(message.ids));
        return;
      case 'names':
        for (const [name, id] of message.changes) {
          if (id === undefined) this.names.delete(name);
          else this.names.set(name, id);
        }
        return;
      case 'result': {
        const call = this.calls.get(message.rid);
        if (!call) return;
        this.calls.delete(message.rid);
        if (message.ok) call.resolve(message.handles ? reviveHandles(message.value, this) : message.value);
        else call.reject(reviveError(message.value));
        return;
      }
      case 'task':
        return void this.runTask(message.rid, message.loc, message.handles ? reviveHandles(message.args, this) : message.args);
      case 'ext':
        hostExtension(message.ext)?.message?.(message.msg, this.view);
        return;
      case 'close':
        return void this.close();
      default:
        unreachable(message);
    }
  }

  /** Loads a located function once per host (Pool batches, barrier actions). */
  loadFunction(locator: Locator): Promise<unknown> {
    return this.loader.function(locator);
  }

  /** One task (a located function, e.g. a batch of Pool work): call it, post its result or error. */
  private async runTask(rid: number, locator: Locator, args: unknown[]): Promise<void> {
    let reply: FromHost;
    try {
      const fn = (await this.loader.function(locator)) as (...a: unknown[]) => unknown;
      const value = await fn(...args);
      reply = { t: 'taskDone', rid, ok: true, value };
      if (checkCloneable(value, 'task result')) reply.handles = 1;
      try {
        this.post(reply);
        return;
      } catch (error) {
        reply = { t: 'taskDone', rid, ok: false, value: serializeError(error) };
      }
    } catch (error) {
      reply = { t: 'taskDone', rid, ok: false, value: serializeError(error) };
    }
    this.post(reply);
  }

  private async spawnLocal(request: SpawnRequest): Promise<void> {
    try {
      const def = await this.loader.definition(request.loc);
      const args = request.handles ? reviveHandles(request.args, this, request.id) : request.args;
      await this.startCell(def, request.id, request.name, request.parent, args, request.snapshot);
      this.post({ t: 'spawned', rid: request.rid, ok: true });
    } catch (error) {
      this.post({ t: 'spawned', rid: request.rid, ok: false, error: serializeError(error) });
    }
  }

  /**
   * Runs an exclusive host's task with the host-side extension that owns it, then reports its
   * result. The host then waits for main: another task to run here (a warm host is reused) or
   * `close`.
   */
  private async run(request: RunRequest): Promise<void> {
    const extension = hostExtension(request.ext);
    this.running = request.ext;
    let result: unknown;
    try {
      if (!extension?.run) throw new RuntimeError(`no host extension "${request.ext}" runs tasks in this worker`);
      // the task runs as `request.id` (a Process): its handles are its own copies
      this.actAs(request.id);
      const payload = request.handles ? reviveHandles(request.payload, this, request.id) : request.payload;
      result = await extension.run(payload, this.view);
    } catch (error) {
      this.log.error({ err: error, ext: request.ext }, 'an exclusive task failed outside its own error handling');
      result = { error: serializeError(error) };
    }
    if (this.closing) return;
    this.post({ t: 'ran', ext: request.ext, result });
    this.running = undefined;
    this.defaultSender = undefined;
  }

  private closing = false;
  close(result: unknown = null): void {
    if (this.closing) return;
    this.closing = true;
    for (const cell of this.cells.values()) void cell.finish({ kind: 'shutdown' }, true);
    clearInterval(this.heartbeat);
    this.busyWait.stop();
    if (this.pendingCount > 0) this.rejectAllPending(new RuntimeError('the host worker closed'));
    for (const call of this.calls.values()) call.reject(new RuntimeError('the host worker closed'));
    this.calls.clear();
    this.post({ t: 'closed' });
    this.port.close();
    this.finish(result);
  }
}
