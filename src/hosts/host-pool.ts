/**
 * HostPool: the only place that knows tinypool. A host is a pooled worker running one long
 * tinypool task (the host runtime); main talks to it over its control port, and it answers
 * through a ring in shared memory (src/transport). `shared` hosts
 * multiplex many actors (least-loaded first); an `exclusive` host runs one Process target and goes
 * back to the pool when it ends. Crash detection is ours: task rejection, control-port 'close',
 * worker 'exit' and a heartbeat watchdog for hosts blocked by an endless handler.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { reviveError } from '../errors.js';
import { createRing } from '../transport/ring-layout.js';
import { RingReader } from '../transport/ring-reader.js';
import { workerExecArgv, workerResourceLimits } from './exec-argv.js';
import { Host, type HostEnd, type HostMode } from './host.js';
import { freeSpinSlot, governSpin, spinWords } from './spin-governor.js';
import type { FromHost, HostTask, RunRequest } from './protocol.js';

export { Host, type HostEnd, type HostMode };

const HEARTBEAT_SLOT = 0;
/** set by the host while it loads a module: blocked, but not stuck */
const LOADING_SLOT = 1;
/** How long an exclusive host whose task ended waits for the next one. */
const LINGER_MS = 200;
/**
 * Bytes of each worker's ring to main: a burst of small messages fits many times over; a bigger
 * record goes by the side port; a writer that fills it waits for main (backpressure).
 */
const RING_BYTES = 1 << 17;

export interface HostEvents {
  /** a control message or an envelope/reply record (wire.ts), in the order the worker sent them */
  message(host: Host, message: FromHost | unknown[]): void;
  /** the ring was drained: a batch boundary (merged list messages go out) */
  drained(host: Host): void;
  /** a record could not be read or handled (a bug): logged, the rest goes on */
  failed(host: Host, error: unknown): void;
  ended(host: Host, end: HostEnd): void;
}

export interface HostPoolOptions {
  hosts?: number;
  system: string;
  watchdog: number;
  /** µs a host waits awake for main's next message in a quick exchange (busy-wait.ts) */
  spin: number;
  logLevel: string;
  events: HostEvents;
  /** a site number unique in the process, for each new host */
  allocateSite(): number;
  /** what a new host starts with: its extension modules and the current name table */
  boot(): Pick<HostTask, 'extensions' | 'names'>;
}

/** Where the worker entry lives: next to this file, as .js when built or .ts under tsx/vitest. */
function workerEntry(): string {
  return fileURLToPath(new URL('./bootstrap.js', import.meta.url));
}

export function hostModuleUrl(): string {
  const built = new URL('./worker-main.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built.href;
  // Running from src (vitest, tsx): the built host is the same code without a TypeScript
  // compile in every worker; TROUPE_HOST=src forces the sources.
  const dist = new URL('../../dist/src/hosts/worker-main.js', import.meta.url);
  if (process.env.TROUPE_HOST !== 'src' && existsSync(fileURLToPath(dist))) return dist.href;
  return new URL('./worker-main.ts', import.meta.url).href;
}

export class HostPool {
  private readonly pool: Tinypool;
  private readonly options: HostPoolOptions;
  readonly sharedCount: number;
  private readonly shared: Host[] = [];
  private readonly starting = new Map<number, Promise<Host>>();
  private readonly all = new Map<number, Host>();
  /** exclusive hosts whose Process ended, kept warm for the next one */
  private readonly idle: Host[] = [];
  /** the shared hosts have all been up once (from then on, replacements boot in the background) */
  private filled = false;
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;
  /** hosts running on tinypool threads, and how many threads tinypool may have */
  private pooled = 0;
  private readonly maxThreads: number;
  /** ends this pool's share in the busy-wait governor (spin-governor.ts) */
  private readonly releaseSpin: () => void;

  constructor(options: HostPoolOptions) {
    this.options = options;
    this.releaseSpin = governSpin();
    this.sharedCount = Math.max(1, options.hosts ?? os.availableParallelism());
    this.pool = new Tinypool({
      filename: workerEntry(),
      // two warm workers: the next Process starts while the last one's worker is being returned
      minThreads: 2,
      // Enough for hundreds of concurrent processes; beyond it, hosts get workers of their own.
      maxThreads: (this.maxThreads = Math.max(64, 8 * os.availableParallelism())),
      idleTimeout: 30_000,
      useAtomics: false,
      execArgv: workerExecArgv(),
      resourceLimits: workerResourceLimits(),
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
    const site = this.options.allocateSite();
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

  /**
   * A host of its own for one task (`run`, sent with the host's start so it begins without a
   * round trip) or for Pool work. Resolves at once: what is posted before the worker is up waits
   * in its control port. Beyond what the thread pool holds, the host gets a worker of its own
   * (never queued behind busy threads); `keepAlive: false` makes that worker not keep Node alive
   * (a daemon Process).
   */
  exclusiveHost(run?: RunRequest, options: { keepAlive?: boolean } = {}): Promise<Host> {
    const keepAlive = options.keepAlive !== false;
    if (run && keepAlive) {
      for (let host = this.idle.pop(); host; host = this.idle.pop()) {
        if (!host.alive) continue;
        // its linger timer may still fire: it ends only a host that is idle then
        host.post(run);
        return Promise.resolve(host);
      }
    }
    const own = !keepAlive || this.pooled >= this.maxThreads;
    const site = this.options.allocateSite();
    const starting = this.start(site, 'exclusive', run, own, keepAlive);
    starting.catch(() => {});
    return Promise.resolve(this.all.get(site)!);
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
    // one timer per host, restarted on each release (cheaper than a new one per Process)
    if (host.linger !== undefined) host.linger.refresh();
    else {
      host.linger = setTimeout(() => {
        const at = this.idle.indexOf(host);
        if (at < 0) return; // running a Process again
        this.idle.splice(at, 1);
        host.closing = true;
        host.post({ t: 'close' });
      }, LINGER_MS);
      host.linger.unref();
    }
    this.idle.push(host);
  }

  private start(site: number, mode: HostMode, run?: RunRequest, own = false, keepAlive = true): Promise<Host> {
    if (this.closed) return Promise.reject(new Error('the system has shut down'));
    const { port1, port2 } = new MessageChannel();
    const side = new MessageChannel();
    const ring = createRing(RING_BYTES);
    // [heartbeat, modules loading, blocking-call answers, posts]
    const watch = new SharedArrayBuffer(16);
    const host = new Host(site, mode, port1, new Int32Array(watch), new RingReader(ring, side.port1));
    host.detached = own;
    this.all.set(site, host);
    if (!own) this.pooled++;
    const task: HostTask = {
      control: port2,
      ring,
      side: side.port2,
      site,
      system: this.options.system,
      mode,
      watch,
      logLevel: this.options.logLevel,
      spin: this.options.spin,
      spinWords: spinWords(),
      run,
      ...this.options.boot(),
    };
    let settled = false;
    let pendingEnd: HostEnd | undefined;
    let rawWorker: { off(event: string, fn: (code: number) => void): void } | undefined;
    const onExit = (code: number): void => end({ kind: 'died', cause: `worker exited with code ${code}`, exitCode: code });
    const end = (cause: HostEnd): void => {
      if (!host.alive) return;
      host.alive = false;
      if (!own) this.pooled--;
      rawWorker?.off('exit', onExit);
      // an aborted task is how tinypool learns to drop and replace a dead worker
      if (cause.kind === 'died') host.terminate();
      port1.close();
      // everything the worker sent before it went is handled before its end is
      host.fromWorker.close();
      // an uncaught exception: its 'fatal' record names the cause (the port may close first)
      if (cause.kind === 'died' && host.fatal !== undefined) {
        const error = host.fatal;
        cause = { kind: 'died', cause: `uncaught ${error.name}: ${error.message}`, exitCode: 1, error };
      }
      this.all.delete(site);
      freeSpinSlot(site);
      if (mode === 'shared') this.shared.splice(this.shared.indexOf(host) >>> 0, 1);
      clearTimeout(host.linger);
      const idleAt = this.idle.indexOf(host);
      if (idleAt >= 0) this.idle.splice(idleAt, 1);
      endStart?.(cause);
      this.options.events.ended(host, cause);
    };
    host.dispose = () => end(pendingEnd ?? { kind: 'finished' });
    let endStart: ((cause: HostEnd) => void) | undefined;
    const ready = new Promise<Host>((resolve, reject) => {
      endStart = (cause) => {
        if (!settled) {
          settled = true;
          reject(new Error(`worker died while starting: ${cause.kind === 'died' ? cause.cause : 'finished'}`));
        }
      };
      host.fromWorker.listen({
        deliver: (message) => {
          const control = message as FromHost;
          if (control.t === 'ready') {
            host.threadId = control.threadId;
            // the watchdog counts from now: booting a worker is not being stuck
            host.lastBeatAt = Date.now();
            const worker = own ? undefined : this.pool.threads.find((thread) => thread.threadId === control.threadId);
            rawWorker = worker?.on('exit', onExit) as typeof rawWorker;
            settled = true;
            resolve(host);
            return;
          }
          if (control.t === 'fatal') {
            const error = reviveError(control.error);
            host.fatal = error instanceof Error ? error : new Error(String(error));
            return;
          }
          if (control.t === 'closed') {
            host.closing = true;
            if (pendingEnd) end(pendingEnd);
            return;
          }
          this.options.events.message(host, message as FromHost | unknown[]);
        },
        drained: () => this.options.events.drained(host),
        failed: (error) => this.options.events.failed(host, error),
      });
      // the worker's only post on its control port: the ring's doorbell
      port1.on('message', () => host.fromWorker.wake());
      port1.on('close', () => {
        // what the worker wrote before its port closed comes first: its 'closed' record makes
        // this an orderly end (deciding 'died' first aborted a task tinypool had just finished)
        if (host.alive) host.fromWorker.pump();
        end(pendingEnd ?? (host.closing ? { kind: 'finished' } : { kind: 'died', cause: 'control port closed' }));
      });
      if (own) return this.startOwn(task, port2, host, end, port1, keepAlive);
      this.pool.run(task, { transferList: [port2 as never, task.side as never], signal: host.signal }).then(
        (result: unknown) => {
          // tinypool's answer may overtake the last control messages: end after 'closed' arrives
          const finished: HostEnd = { kind: 'finished', result };
          if (host.closing) end(finished);
          else pendingEnd = finished;
        },
        (error: Error) => end({ kind: 'died', cause: host.signal.aborted ? 'terminated' : String(error?.message ?? error) }),
      );
    });
    host.ready = ready.then(() => {});
    host.ready.catch(() => {});
    if (mode === 'shared') this.startWatchdog();
    return ready;
  }

  /**
   * A host on a worker of its own, outside tinypool: when the thread pool is full (a big Pool), or
   * for work that must not keep Node alive (tinypool keeps the process alive while a task runs;
   * a daemon Process must end with the main program, as in Python).
   */
  private startOwn(task: HostTask, port2: MessagePort, host: Host, end: (cause: HostEnd) => void, port1: MessagePort, keepAlive: boolean): void {
    const worker = new Worker(workerEntry(), {
      workerData: { hostModule: hostModuleUrl(), detached: task },
      transferList: [port2, task.side],
      execArgv: workerExecArgv(),
      resourceLimits: workerResourceLimits(),
    });
    if (!keepAlive) {
      worker.unref();
      port1.unref();
    }
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
        const beat = Atomics.load(host.watch, HEARTBEAT_SLOT);
        // loading a module, or waiting for main to read its ring: blocked, but not stuck
        if (beat !== host.lastBeat || Atomics.load(host.watch, LOADING_SLOT) > 0 || host.fromWorker.writerWaiting) {
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
    this.releaseSpin();
    if (this.watchdog) clearInterval(this.watchdog);
    for (const host of this.all.values()) {
      clearTimeout(host.linger);
      host.closing = true;
      host.post({ t: 'close' });
      // workers of their own are not tinypool's to end
      if (host.detached) host.terminate();
    }
    await this.pool.destroy();
    // the workers are gone: their ports' close events may still be on their way
    for (const host of [...this.all.values()]) host.dispose();
  }
}
