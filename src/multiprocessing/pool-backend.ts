/**
 * Where a Pool's workers come from: exclusive hosts of the system the Pool lives in — directly in
 * main, and through the pools extension's ops for a Pool created inside a worker (main starts its
 * workers and ends them with the worker that owns them). The Pool only sees opaque slots, their
 * readiness, the verbs run / close / kill, and an `ended` event. Pools are terminated first when
 * their system shuts down.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { mainSystem } from '../default-system.js';
import type { Locator } from '../define.js';
import { NoProcError } from '../errors.js';
import { defineExtension, type SystemExtension } from '../extension.js';
import { currentHost } from '../hosts/current.js';
import type { Host } from '../hosts/host.js';
import { extensionCall } from '../kernel-call.js';
import type { SystemImpl } from '../system/system.js';
import type { WireBatch, WireReply } from './pool-worker.js';

/** One worker of a pool, as the backend knows it. */
export interface PoolSlot {
  readonly id: number;
  /** resolves once the worker is up (work goes only to workers that are) */
  readonly ready: Promise<void>;
}

export interface PoolEvents {
  /** the worker ended: closed, killed or died */
  ended(slot: PoolSlot): void;
  /** the system is shutting down */
  terminate(): void;
}

export interface PoolBackend {
  readonly log: Logger;
  /** starts a worker */
  start(): PoolSlot;
  run(slot: PoolSlot, batch: WireBatch): Promise<WireReply>;
  /** graceful: the worker finishes what it was sent, then exits */
  close(slot: PoolSlot): void;
  /** at once: the worker thread is ended (the pool of threads replaces it) */
  kill(slot: PoolSlot): void;
  /** the pool is finished: stop listening */
  release(): void;
}

/** The worker-side module and export that run a batch (built .js next to us, else the dist build, else .ts). */
export function batchLocator(): Locator {
  const candidates = [new URL('./pool-worker.js', import.meta.url)];
  if (process.env.TROUPE_HOST !== 'src') candidates.push(new URL('../../dist/src/multiprocessing/pool-worker.js', import.meta.url));
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  return { by: 'export', module: (found ?? new URL('./pool-worker.ts', import.meta.url)).href, exportName: 'runBatch' };
}

let locator: Locator | undefined;
let nextSlot = 1;

/** A pool worker's host, as main tracks it (for a Pool in main, or one in a worker). */
interface Tracked {
  host: Host;
  /** the Pool in main it belongs to */
  events?: PoolEvents;
  slot?: PoolSlot;
  /** or: the site of the worker whose Pool it serves, and the remote slot id */
  owner?: number;
  remote?: number;
  ended: Promise<void>;
  end(): void;
}

/** The pools of one system: their worker hosts, the ops Pools in workers use, shutdown. */
class Pools implements SystemExtension {
  readonly pools = new Set<PoolEvents>();
  private readonly tracked = new Map<Host, Tracked>();
  private readonly remote = new Map<number, Tracked>();
  private nextRemote = 1;
  readonly ops = {
    start: async (_args: [], from: { site: number }): Promise<number> => {
      const host = await this.system.hostPool().exclusiveHost();
      const id = this.nextRemote++;
      const tracked = this.track(host);
      tracked.owner = from.site;
      tracked.remote = id;
      this.remote.set(id, tracked);
      await host.ready;
      return id;
    },
    run: ([id, batch]: [number, WireBatch]) => this.system.runTask(this.remoteHost(id), (locator ??= batchLocator()), [batch]),
    close: ([id]: [number]) => this.remote.get(id)?.host.post({ t: 'close' }),
    kill: ([id]: [number]) => this.remote.get(id)?.host.terminate(),
    ended: ([id]: [number]) => this.remote.get(id)?.ended,
  };

  constructor(readonly system: SystemImpl) {}

  track(host: Host): Tracked {
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const tracked: Tracked = { host, ended, end };
    this.tracked.set(host, tracked);
    if (!host.alive) this.hostEnded(host);
    return tracked;
  }

  private remoteHost(id: number): Host {
    const tracked = this.remote.get(id);
    if (!tracked) throw new NoProcError(`pool worker ${id} has ended`);
    return tracked.host;
  }

  hostEnded(host: Host): void {
    const tracked = this.tracked.get(host);
    if (tracked) {
      this.tracked.delete(host);
      if (tracked.remote !== undefined) this.remote.delete(tracked.remote);
      tracked.end();
      if (tracked.events && tracked.slot) tracked.events.ended(tracked.slot);
    }
    // the worker that created a pool is gone: its pool workers go too
    for (const other of this.tracked.values()) if (other.owner === host.site) other.host.terminate();
  }

  shutdown(): void {
    for (const pool of [...this.pools]) pool.terminate();
  }
}

export const POOLS = defineExtension<Pools>({
  name: 'troupe.pools',
  create: (system) => new Pools(system),
});

interface HostSlot extends PoolSlot {
  host: Host;
}

/** Pool workers as exclusive hosts of the main thread's default system. */
class MainBackend implements PoolBackend {
  private readonly pools: Pools;

  constructor(private readonly events: PoolEvents) {
    this.pools = mainSystem().extension(POOLS);
    this.pools.pools.add(events);
  }

  get log(): Logger {
    return this.pools.system.log;
  }

  start(): PoolSlot {
    // exclusiveHost resolves at once with the host (it boots in the background)
    let slot!: HostSlot;
    const booting = this.pools.system.hostPool().exclusiveHost();
    const ready = booting.then(async (host) => {
      slot.host = host;
      const tracked = this.pools.track(host);
      tracked.events = this.events;
      tracked.slot = slot;
      await host.ready;
    });
    slot = { id: nextSlot++, ready, host: undefined as unknown as Host };
    ready.catch(() => this.events.ended(slot));
    return slot;
  }

  run(slot: PoolSlot, batch: WireBatch): Promise<WireReply> {
    return this.pools.system.runTask((slot as HostSlot).host, (locator ??= batchLocator()), [batch]) as Promise<WireReply>;
  }

  close(slot: PoolSlot): void {
    void slot.ready.then(() => (slot as HostSlot).host.post({ t: 'close' }), () => {});
  }

  kill(slot: PoolSlot): void {
    (slot as HostSlot).host?.terminate();
  }

  release(): void {
    this.pools.pools.delete(this.events);
  }
}

interface RemoteSlot extends PoolSlot {
  remote: Promise<number>;
}

/** Pool workers started by main on behalf of this worker, through the pools extension's ops. */
class WorkerBackend implements PoolBackend {
  constructor(private readonly events: PoolEvents) {}

  get log(): Logger {
    return currentHost()!.log;
  }

  start(): PoolSlot {
    const remote = extensionCall(POOLS, 'start', []) as Promise<number>;
    const slot: RemoteSlot = { id: nextSlot++, remote, ready: remote.then(() => {}) };
    const ended = (): void => this.events.ended(slot);
    remote.then((id) => extensionCall(POOLS, 'ended', [id])).then(ended, ended);
    return slot;
  }

  run(slot: PoolSlot, batch: WireBatch): Promise<WireReply> {
    return (slot as RemoteSlot).remote.then((id) => extensionCall(POOLS, 'run', [id, batch]) as Promise<WireReply>);
  }

  close(slot: PoolSlot): void {
    (slot as RemoteSlot).remote.then((id) => extensionCall(POOLS, 'close', [id])).catch(() => {});
  }

  kill(slot: PoolSlot): void {
    (slot as RemoteSlot).remote.then((id) => extensionCall(POOLS, 'kill', [id])).catch(() => {});
  }

  release(): void {}
}

/** The backend for a Pool created on this thread. */
export function poolBackend(events: PoolEvents): PoolBackend {
  return currentHost() ? new WorkerBackend(events) : new MainBackend(events);
}
