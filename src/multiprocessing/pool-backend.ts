/**
 * Where a Pool's workers come from: in main, exclusive hosts of the default system's HostPool,
 * each running batches through `system.runTask`; inside a worker (a Pool created by a Process),
 * the same verbs as kernel ops served in main by a pool-broker actor. The Pool only sees opaque
 * slots and the four verbs (start, run, close, kill) plus an `ended` event, so the same Pool
 * logic serves any thread. Pools are terminated when their system shuts down, and a worker's
 * pool workers when that worker ends.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { mainSystem } from '../default-system.js';
import { defineActor, type Locator } from '../define.js';
import { NoProcError } from '../errors.js';
import type { Host, HostEnd } from '../hosts/host-pool.js';
import { currentHost } from '../hosts/host-worker.js';
import { kernelCall } from '../kernel-call.js';
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

/** Per system: its live pools, and which pool worker each host is (one listener for all pools). */
interface Registry {
  pools: Set<PoolEvents>;
  hosts: Map<Host, { slot: HostSlot; events: PoolEvents }>;
}
const registries = new WeakMap<SystemImpl, Registry>();

function registry(system: SystemImpl): Registry {
  let found = registries.get(system);
  if (!found) {
    const reg: Registry = (found = { pools: new Set(), hosts: new Map() });
    registries.set(system, reg);
    system.on('hostEnded', (host: Host, _end: HostEnd) => {
      const owner = reg.hosts.get(host);
      if (!owner) return;
      reg.hosts.delete(host);
      owner.events.ended(owner.slot);
    });
    system.onShutdown(() => {
      for (const pool of [...reg.pools]) pool.terminate();
    });
  }
  return found;
}

/** Pool workers as exclusive hosts of the main thread's default system. */
class MainBackend implements PoolBackend {
  private readonly system: SystemImpl;
  private readonly registry: Registry;

  constructor(private readonly events: PoolEvents) {
    this.system = mainSystem();
    void ensureLogSink(this.system);
    this.registry = registry(this.system);
    this.registry.pools.add(events);
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
        this.registry.hosts.set(host, { slot, events: this.events });
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
    this.registry.pools.delete(this.events);
  }
}

/** The backend for a Pool created on this thread. */
export function poolBackend(events: PoolEvents): PoolBackend {
  return currentHost() ? new WorkerBackend(events) : new MainBackend(events);
}

// ---- a Pool inside a worker ---------------------------------------------------------------------

const BROKER_NAME = 'troupe.pool-broker';

/** This module's PoolBroker export, as main finds it. */
function brokerLocator(): Locator {
  return { by: 'export', module: import.meta.url, exportName: 'PoolBroker' };
}

interface RemoteSlot extends PoolSlot {
  remote: Promise<number>;
}

/** Pool workers started by main on behalf of this worker, through the broker's kernel ops. */
class WorkerBackend implements PoolBackend {
  private readonly broker: Promise<unknown>;

  constructor(private readonly events: PoolEvents) {
    this.broker = kernelCall('spawn', [brokerLocator(), { placement: 'main', name: BROKER_NAME }]).catch((error: unknown) => {
      if ((error as Error | undefined)?.name !== 'NameTakenError') throw error;
    });
  }

  get log(): Logger {
    return currentHost()!.log;
  }

  start(): PoolSlot {
    const remote = this.broker.then(() => kernelCall('pool.start', [])) as Promise<number>;
    const slot: RemoteSlot = { id: nextSlot++, remote };
    const ended = (): void => this.events.ended(slot);
    remote.then((id) => kernelCall('pool.ended', [id])).then(ended, ended);
    return slot;
  }

  run(slot: PoolSlot, batch: WireBatch): Promise<WireReply> {
    return (slot as RemoteSlot).remote.then((id) => kernelCall('pool.run', [id, batch]) as Promise<WireReply>);
  }

  close(slot: PoolSlot): void {
    (slot as RemoteSlot).remote.then((id) => kernelCall('pool.close', [id])).catch(() => {});
  }

  kill(slot: PoolSlot): void {
    (slot as RemoteSlot).remote.then((id) => kernelCall('pool.kill', [id])).catch(() => {});
  }

  logConfig(): Int32Array | undefined {
    return logConfig();
  }

  release(): void {}
}

interface BrokerSlot {
  host: Host;
  /** the site of the worker that owns this pool worker */
  owner: number;
  ended: Promise<void>;
  end(): void;
}

/**
 * The pool broker (placement 'main', one per system): serves the `pool.*` kernel ops for Pools
 * created inside workers, and ends a worker's pool workers when that worker ends.
 */
export const PoolBroker = defineActor({
  name: 'PoolBroker',
  init: (ctx) => {
    const system = ctx.system as SystemImpl;
    const slots = new Map<number, BrokerSlot>();
    let next = 1;
    const slotOf = (id: number): BrokerSlot => {
      const slot = slots.get(id);
      if (!slot) throw new NoProcError(`pool worker ${id} has ended`);
      return slot;
    };
    void ensureLogSink(system);
    system.defineOp('pool.start', async (_args, from) => {
      const host = await system.hostPool().exclusiveHost();
      const id = next++;
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      slots.set(id, { host, owner: from.site, ended, end });
      if (!host.alive) end();
      return id;
    });
    system.defineOp('pool.run', ([id, batch]) => {
      locator ??= batchLocator();
      return system.runTask(slotOf(id as number).host, locator, [batch]);
    });
    system.defineOp('pool.close', ([id]) => slots.get(id as number)?.host.post({ t: 'close' }));
    system.defineOp('pool.kill', ([id]) => slots.get(id as number)?.host.terminate());
    system.defineOp('pool.ended', ([id]) => slots.get(id as number)?.ended);
    system.on('hostEnded', (host: Host) => {
      for (const [id, slot] of slots) {
        if (slot.host === host) {
          slots.delete(id);
          slot.end();
        } else if (slot.owner === host.site) {
          // the worker that created this pool is gone: its pool workers go too
          slot.host.terminate();
        }
      }
    });
    return null;
  },
  receive: {},
});
