/**
 * HostPool: the only place that knows tinypool. A host is a pooled worker running one long
 * tinypool task (the host runtime) and talking to main over its own control port. `shared` hosts
 * multiplex many actors (least-loaded first); an `exclusive` host runs one Process target and goes
 * back to the pool when it ends. Crash detection is ours: task rejection, control-port 'close',
 * worker 'exit' and a heartbeat watchdog for hosts blocked by an endless handler.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import Tinypool from 'tinypool';
import type { Envelope } from '../cell.js';
import type { ReplyEnvelope } from '../runtime.js';
import { Outbox } from './outbox.js';
import type { FromHost, HostTask, RunRequest, ToHost } from './protocol.js';

export type HostMode = 'shared' | 'exclusive';

/** Why a host went away: it finished (exclusive), was closed, or died. */
export type HostEnd = { kind: 'finished'; result?: unknown } | { kind: 'died'; cause: string; exitCode?: number };

export interface HostEvents {
  message(host: Host, message: FromHost): void;
  ended(host: Host, end: HostEnd): void;
}

const HEARTBEAT_SLOT = 0;
/** set by the host while it loads a module: blocked, but not stuck */
const LOADING_SLOT = 1;
/** How long an exclusive host whose Process ended waits for the next one. */
const LINGER_MS = 200;

/** Main's handle on one host worker. */
export class Host {
  readonly site: number;
  readonly mode: HostMode;
  readonly port: MessagePort;
  readonly heartbeat: Int32Array;
  /** actors placed here (for least-loaded placement) */
  load = 0;
  alive = true;
  /** the worker said it is closing: its port closing is an orderly end, not a death */
  closing = false;
  threadId = -1;
  lastBeat = 0;
  lastBeatAt = Date.now();
  private readonly abort = new AbortController();
  private readonly outbox = new Outbox((envelopes, replies, transfer) => {
    if (!this.alive) return;
    if (envelopes !== undefined) this.port.postMessage({ t: 'd', b: envelopes } satisfies ToHost, transfer as never);
    if (replies !== undefined) this.port.postMessage({ t: 'r', b: replies } satisfies ToHost);
  });

  constructor(site: number, mode: HostMode, port: MessagePort, heartbeat: Int32Array) {
    this.site = site;
    this.mode = mode;
    this.port = port;
    this.heartbeat = heartbeat;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  post(message: ToHost, transfer?: readonly unknown[]): void {
    if (!this.alive) return;
    this.port.postMessage(message, transfer as never);
  }

  /** a daemon Process's worker, outside tinypool (it must not keep Node alive) */
  detached = false;
  /** while idle (exclusive, between Processes): the timer that closes it */
  linger: NodeJS.Timeout | undefined;

  /** ids this host was told the site of (so it sends to them directly) */
  readonly told = new Set<string>();

  /** Posts after everything already queued for this host (fences keep their place). */
  postOrdered(message: ToHost): void {
    this.outbox.flush();
    this.post(message);
  }

  /** Queues an envelope; a burst goes out as one batch at the end of the current tick. */
  deliver(envelope: Envelope, transfer?: readonly unknown[]): void {
    this.outbox.send(envelope, transfer);
  }

  reply(reply: ReplyEnvelope): void {
    this.outbox.reply(reply);
  }

  /** Unsent envelopes are handed back when the host dies so asks among them can be answered. */
  takeUnsent(): Envelope[] {
    return this.outbox.takeUnsent();
  }

  /** Ends the worker at once (terminate/kill/watchdog); tinypool replaces it. */
  terminate(): void {
    this.abort.abort();
  }
}

export interface HostPoolOptions {
  hosts?: number;
  system: string;
  watchdog: number;
  logLevel: string;
  events: HostEvents;
}

/** Where the worker entry lives: next to this file, as .js when built or .ts under tsx/vitest. */
function workerEntry(): string {
  return fileURLToPath(new URL('./bootstrap.js', import.meta.url));
}

export function hostModuleUrl(): string {
  const built = new URL('./host-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built.href;
  // Running from src (vitest, tsx): the built host is the same code without a TypeScript
  // compile in every worker; TROUPE_HOST=src forces the sources.
  const dist = new URL('../../dist/src/hosts/host-worker.js', import.meta.url);
  if (process.env.TROUPE_HOST !== 'src' && existsSync(fileURLToPath(dist))) return dist.href;
  return new URL('./host-worker.ts', import.meta.url).href;
}

/**
 * The parent's Node flags minus TypeScript loaders: workers register tsx themselves only when
 * they load a .ts module, and an inherited `--import tsx` makes every worker start ~2x slower.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.split('=', 2);
    if (name === '--import' || name === '--loader' || name === '--experimental-loader' || name === '--require' || name === '-r') {
      const value = inline ?? argv[i + 1] ?? '';
      if (inline === undefined) i++;
      if (!/tsx|ts-node|vite|vitest/.test(value)) out.push(name!, value);
      continue;
    }
    out.push(flag);
  }
  return out;
}

export class HostPool {
  private readonly pool: Tinypool;
  private readonly options: HostPoolOptions;
  readonly sharedCount: number;
  private readonly shared: Host[] = [];
  private readonly starting = new Map<number, Promise<Host>>();
  private readonly all = new Map<number, Host>();
  private nextSite = 1;
  /** exclusive hosts whose Process ended, kept warm for the next one */
  private readonly idle: Host[] = [];
  /** the shared hosts have all been up once (from then on, replacements boot in the background) */
  private filled = false;
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: HostPoolOptions) {
    this.options = options;
    this.sharedCount = Math.max(1, options.hosts ?? os.availableParallelism());
    this.pool = new Tinypool({
      filename: workerEntry(),
      // two warm workers: the next Process starts while the last one's worker is being returned
      minThreads: 2,
      // Enough for hundreds of concurrent processes (~8 MiB each); beyond it, starts queue.
      maxThreads: Math.max(64, 8 * os.availableParallelism()),
      idleTimeout: 30_000,
      useAtomics: false,
      execArgv: workerExecArgv(),
      workerData: { hostModule: hostModuleUrl() },
      // a worker that dies while hosting is ours to report; tinypool just replaces it
    });
    this.pool.on('error', () => {});
  }

  get hosts(): IterableIterator<Host> {
    return this.all.values();
  }

  host(site: number): Host | undefined {
    return this.all.get(site);
  }

  /** The least-loaded shared host, starting hosts lazily up to `hosts`. */
  async sharedHost(): Promise<Host> {
    const live = this.shared.filter((host) => host.alive);
    if (live.length + this.starting.size < this.sharedCount && this.filled && live.length > 0) {
      // A replacement for a dead host boots in the background; restarts go to a live host now.
      void this.addShared().catch(() => {});
    } else if (live.length + this.starting.size < this.sharedCount) {
      return this.addShared();
    }
    if (live.length === 0) return (await Promise.race(this.starting.values()));
    let best = live[0]!;
    for (const host of live) if (host.load < best.load) best = host;
    return best;
  }

  private async addShared(): Promise<Host> {
    const site = this.nextSite++;
    const starting = this.start(site, 'shared').then((host) => {
      this.shared.push(host);
      if (this.shared.length >= this.sharedCount) this.filled = true;
      return host;
    });
    this.starting.set(site, starting);
    try {
      return await starting;
    } finally {
      this.starting.delete(site);
    }
  }

  /** A host of its own for one Process target. */
  /**
   * A host of its own for one Process target (`run`, sent with the task so the target starts
   * without a round trip) or for Pool work. Resolves at once: messages posted before the worker
   * is up wait in its control port.
   */
  exclusiveHost(run?: RunRequest, options: { detached?: boolean } = {}): Promise<Host> {
    if (options.detached) {
      const site = this.nextSite++;
      if (run) run.site = site;
      const starting = this.start(site, 'exclusive', run, true);
      starting.catch(() => {});
      return Promise.resolve(this.all.get(site)!);
    }
    if (run) {
      for (let host = this.idle.pop(); host; host = this.idle.pop()) {
        if (!host.alive) continue;
        clearTimeout(host.linger);
        run.site = host.site;
        host.post(run);
        return Promise.resolve(host);
      }
    }
    const site = this.nextSite++;
    if (run) run.site = site;
    const starting = this.start(site, 'exclusive', run);
    starting.catch(() => {});
    const host = this.all.get(site);
    return host ? Promise.resolve(host) : starting;
  }

  /**
   * Takes back an exclusive host whose Process ended normally: the next Process runs on it
   * without a new task; if none comes within LINGER_MS it is closed and its worker returns to
   * tinypool (so a script that has joined its processes still exits by itself, a moment later).
   */
  release(host: Host): void {
    if (!host.alive || this.closed || host.mode !== 'exclusive') return;
    if (host.detached) {
      host.closing = true;
      return host.post({ t: 'close' });
    }
    host.linger = setTimeout(() => {
      const at = this.idle.indexOf(host);
      if (at >= 0) this.idle.splice(at, 1);
      host.closing = true;
      host.post({ t: 'close' });
    }, LINGER_MS);
    host.linger.unref();
    this.idle.push(host);
  }

  private start(site: number, mode: HostMode, run?: RunRequest, detached = false): Promise<Host> {
    if (this.closed) return Promise.reject(new Error('the system has shut down'));
    const { port1, port2 } = new MessageChannel();
    const watch = new SharedArrayBuffer(8);
    const host = new Host(site, mode, port1, new Int32Array(watch));
    host.detached = detached;
    this.all.set(site, host);
    const task: HostTask = { control: port2, site, system: this.options.system, mode, watch, logLevel: this.options.logLevel, run };
    let settled = false;
    let pendingEnd: HostEnd | undefined;
    let rawWorker: { off(event: string, fn: (code: number) => void): void } | undefined;
    const onExit = (code: number): void => end({ kind: 'died', cause: `worker exited with code ${code}`, exitCode: code });
    const end = (cause: HostEnd): void => {
      if (!host.alive) return;
      host.alive = false;
      rawWorker?.off('exit', onExit);
      // an aborted task is how tinypool learns to drop and replace a dead worker
      if (cause.kind === 'died') {
        host.terminate();
        // What the worker posted before it died still arrives (queue items, logs, exit codes).
        // Draining with receiveMessageOnPort here crashes Node 20, so the port delivers them.
        port1.unref();
        setTimeout(() => port1.close(), 1000).unref();
      } else {
        port1.close();
      }
      this.all.delete(site);
      if (mode === 'shared') this.shared.splice(this.shared.indexOf(host) >>> 0, 1);
      clearTimeout(host.linger);
      const idleAt = this.idle.indexOf(host);
      if (idleAt >= 0) this.idle.splice(idleAt, 1);
      endStart?.(cause);
      this.options.events.ended(host, cause);
    };
    let endStart: ((cause: HostEnd) => void) | undefined;
    const ready = new Promise<Host>((resolve, reject) => {
      endStart = (cause) => {
        if (!settled) {
          settled = true;
          reject(new Error(`worker died while starting: ${cause.kind === 'died' ? cause.cause : 'finished'}`));
        }
      };
      port1.on('message', (message: FromHost) => {
        if (message.t === 'ready') {
          host.threadId = message.threadId;
          // the watchdog counts from now: booting a worker is not being stuck
          host.lastBeatAt = Date.now();
          const worker = detached ? undefined : this.pool.threads.find((thread) => thread.threadId === message.threadId);
          rawWorker = worker?.on('exit', onExit) as typeof rawWorker;
          settled = true;
          resolve(host);
          return;
        }
        if (message.t === 'closed') {
          host.closing = true;
          if (pendingEnd) end(pendingEnd);
          return;
        }
        if (message.t === 'exitcode' && message.hard) {
          // process.exit(n): the worker is parked; end it so the pool replaces it
          this.options.events.message(host, message);
          return end({ kind: 'died', cause: `process.exit(${message.code})`, exitCode: message.code });
        }
        this.options.events.message(host, message);
      });
      port1.on('close', () => end(pendingEnd ?? (host.closing ? { kind: 'finished' } : { kind: 'died', cause: 'control port closed' })));
      if (detached) return this.startDetached(task, port2, host, end, port1);
      this.pool.run(task, { transferList: [port2 as never], signal: host.signal }).then(
        (result: unknown) => {
          // tinypool's answer may overtake the last control messages: end after 'closed' arrives
          const finished: HostEnd = { kind: 'finished', result };
          if (host.closing) end(finished);
          else pendingEnd = finished;
        },
        (error: Error) => end({ kind: 'died', cause: host.signal.aborted ? 'terminated' : String(error?.message ?? error) }),
      );
    });
    if (mode === 'shared') this.startWatchdog();
    return ready;
  }

  /**
   * A daemon Process runs on a worker of its own outside tinypool: tinypool keeps the Node process
   * alive while a task runs, and a daemon must not (Python terminates daemons when the main
   * program ends; Node ends a process's worker threads when it exits).
   */
  private startDetached(task: HostTask, port2: MessagePort, host: Host, end: (cause: HostEnd) => void, port1: MessagePort): void {
    const worker = new Worker(workerEntry(), {
      workerData: { hostModule: hostModuleUrl(), detached: task },
      transferList: [port2],
      execArgv: workerExecArgv(),
    });
    worker.unref();
    port1.unref();
    host.signal.addEventListener('abort', () => void worker.terminate());
    worker.on('error', (error) => end({ kind: 'died', cause: String(error?.message ?? error) }));
    worker.on('exit', (code) => end(host.closing ? { kind: 'finished' } : { kind: 'died', cause: `worker exited with code ${code}`, exitCode: code }));
  }

  private startWatchdog(): void {
    if (this.watchdog || this.options.watchdog <= 0) return;
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const host of this.shared) {
        if (!host.alive || host.threadId < 0) continue;
        const beat = Atomics.load(host.heartbeat, HEARTBEAT_SLOT);
        if (beat !== host.lastBeat || Atomics.load(host.heartbeat, LOADING_SLOT) > 0) {
          host.lastBeat = beat;
          host.lastBeatAt = now;
        } else if (now - host.lastBeatAt > this.options.watchdog) {
          host.lastBeatAt = now;
          host.terminate();
        }
      }
    }, Math.max(50, Math.min(250, this.options.watchdog / 4)));
    this.watchdog.unref();
  }

  async destroy(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    for (const host of this.all.values()) {
      clearTimeout(host.linger);
      host.closing = true;
      host.post({ t: 'close' });
    }
    await this.pool.destroy();
  }
}
