/**
 * The backend of `new Pool(n, { cluster: true })` (DESIGN §10): its n slots are n batches in flight
 * at once, each run on a pool worker of whichever node of the cluster takes it (the cluster's
 * queue group). A slot's progress words say which batch a node has taken, so when that node dies
 * the chunk it was running fails BrokenWorkerError and the rest of the batch runs elsewhere.
 */
import type { Logger } from 'pino';
import { mainSystem } from '../default-system.js';
import { ValueError } from '../errors.js';
import { joinedClusters, type ClusterHook } from '../system/cluster-hook.js';
import { batchLocator, type PoolBackend, type PoolEvents, type PoolSlot } from './pool-backend.js';
import type { WireBatch, WireReply } from './pool-worker.js';

interface ClusterSlot extends PoolSlot {
  progress?: Int32Array;
}

let nextSlot = 1;

class ClusterBackend implements PoolBackend {
  constructor(
    private readonly cluster: ClusterHook,
    private readonly events: PoolEvents,
  ) {}

  get log(): Logger {
    return mainSystem().log;
  }

  start(): PoolSlot {
    return { id: nextSlot++, ready: Promise.resolve() } satisfies ClusterSlot;
  }

  run(slot: PoolSlot, batch: WireBatch): Promise<WireReply> {
    const own = slot as ClusterSlot;
    if (batch.worker) own.progress = batch.worker.progress;
    const taken = (): void => {
      if (!own.progress) return;
      Atomics.store(own.progress, 0, batch.seq);
      Atomics.store(own.progress, 1, 0);
    };
    return this.cluster.runPoolBatch(batchLocator(), batch, taken) as Promise<WireReply>;
  }

  /** Nothing to end: a node's worker goes back to its pool after each batch. */
  close(slot: PoolSlot): void {
    queueMicrotask(() => this.events.ended(slot));
  }

  kill(slot: PoolSlot): void {
    this.close(slot);
  }

  release(): void {}
}

/** The backend for a cluster Pool: the cluster a system of this process has joined. */
export function clusterBackend(events: PoolEvents): PoolBackend {
  const [cluster] = joinedClusters();
  if (!cluster) throw new ValueError('new Pool(n, { cluster: true }) needs a system of this process in a cluster: await createSystem({ cluster: { servers, name } }) first');
  return new ClusterBackend(cluster, events);
}
