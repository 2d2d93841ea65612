/**
 * Where a Pool's workers come from: in main, exclusive hosts of the default system's HostPool,
 * each running batches through `system.runTask`. The Pool only sees opaque slots and the four
 * verbs (start, run, close, kill) plus an `ended` event, so the same Pool logic serves any
 * thread. Every pool of a system is terminated when that system shuts down.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { mainSystem } from '../default-system.js';
import type { Locator } from '../define.js';
import { RuntimeError } from '../errors.js';
import type { Host, HostEnd } from '../hosts/host-pool.js';
import { currentHost } from '../hosts/host-worker.js';
import type { SystemImpl } from '../system.js';
import { ensureLogSink, logConfig } from './logging.js';
import type { WireBatch, WireReply } from './pool-worker.js';

/** One worker of a pool, as the backend knows it. */
export interface PoolSlot {
  readonly id: number;
}

export interface PoolEvents {
  /** the worker ended: closed, killed or died */
  ended(slot: PoolSlot): void;
  /** the system is shutting down */
  terminate(): void;
}

export interface PoolBackend {
  readonly log: Logger;
  /** starts a worker; batches may be run on it at once (they wait until it is up) */
  start(): PoolSlot;
  run(slot: PoolSlot, batch: WireBatch): Promise<WireReply>;
  /** graceful: the worker finishes what it was sent, then exits */
  close(slot: PoolSlot): void;
  /** at once: the worker thread is ended (the pool of threads replaces it) */
  kill(slot: PoolSlot): void;
  /** the logger's shared settings, sent to each worker with its first batch */
  logConfig(): Int32Array | undefined;
  /** the pool is finished: stop listening */
  release(): void;
}

/** The worker-side module and export that run a batch (built .js next to us, else the dist build, else .ts). */
function batchLocator(): Locator {
  const candidates = [new URL('./pool-worker.js', import.meta.url)];
  if (process.env.TROUPE_HOST !== 'src') candidates.push(new URL('../../dist/src/multiprocessing/pool-worker.js', import.meta.url));
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  return { by: 'export', module: (found ?? new URL('./pool-worker.ts', import.meta.url)).href, exportName: 'runBatch' };
}

let locator: Locator | undefined;
let nextSlot = 1;

interface HostSlot extends PoolSlot {
  host: Host | undefined;
  ready: Promise<Host>;
  killed: boolean;
  closing: boolean;
}

const pools = new WeakMap<SystemImpl, Set<PoolEvents>>();

/** Pool workers as exclusive hosts of the main thread's default system. */
class MainBackend implements PoolBackend {
  private readonly system: SystemImpl;
  private readonly slots = new Map<Host, HostSlot>();

  constructor(private readonly events: PoolEvents) {
    this.system = mainSystem();
    void ensureLogSink(this.system);
    this.system.on('hostEnded', this.onHostEnded);
    let live = pools.get(this.system);
    if (!live) {
      const set = (live = new Set());
      pools.set(this.system, set);
      this.system.onShutdown(() => {
        for (const pool of [...set]) pool.terminate();
      });
    }
    live.add(events);
  }

  get log(): Logger {
    return this.system.log;
  }

  start(): PoolSlot {
    const hostPool = this.system.hostPool();
    const slot: HostSlot = { id: nextSlot++, host: undefined, ready: hostPool.exclusiveHost(), killed: false, closing: false };
    slot.ready.then(
      (host) => {
        slot.host = host;
        if (!host.alive) return this.events.ended(slot);
        this.slots.set(host, slot);
        if (slot.killed) host.terminate();
        else if (slot.closing) host.post({ t: 'close' });
      },
      () => this.events.ended(slot),
    );
    return slot;
  }

  run(slot: PoolSlot, batch: WireBatch): Promise<WireReply> {
    locator ??= batchLocator();
    return (slot as HostSlot).ready.then((host) => this.system.runTask(host, locator!, [batch]) as Promise<WireReply>);
  }

  close(slot: PoolSlot): void {
    const s = slot as HostSlot;
    s.closing = true;
    s.host?.post({ t: 'close' });
  }

  kill(slot: PoolSlot): void {
    const s = slot as HostSlot;
    s.killed = true;
    s.host?.terminate();
  }

  logConfig(): Int32Array | undefined {
    return logConfig();
  }

  release(): void {
    this.system.off('hostEnded', this.onHostEnded);
    pools.get(this.system)?.delete(this.events);
  }

  private readonly onHostEnded = (host: Host, _end: HostEnd): void => {
    const slot = this.slots.get(host);
    if (!slot) return;
    this.slots.delete(host);
    this.events.ended(slot);
  };
}

/** The backend for a Pool created on this thread. */
export function poolBackend(events: PoolEvents): PoolBackend {
  if (currentHost()) {
    throw new RuntimeError('a Pool runs in the main thread for now; create it there and pass work to it, or use Process inside workers');
  }
  return new MainBackend(events);
}
