/**
 * The kernel's one door to the cluster (DESIGN §10): a system created with `{ cluster }` holds a
 * ClusterHook, made by the cluster module that the composition root (`src/index.ts`) provides as
 * a lazy loader. The kernel never imports the cluster module, and a system without `cluster`
 * loads nothing of NATS.
 */
import type { ActorDefinition, ActorRef, ClusterOptions, NodeInfo, SpawnOptions } from '../types.js';
import type { SystemImpl } from './system.js';

export interface ClusterHook {
  /** this node's name */
  readonly node: string;
  /** the live nodes, this one included */
  nodes(): Promise<NodeInfo[]>;
  /** a spawn the cluster handles (another node, a global name); undefined: an ordinary local spawn */
  spawn(def: ActorDefinition, options: SpawnOptions, parent: string | null): Promise<ActorRef> | undefined;
  /** the holder of a global name, from the local replica */
  lookup(name: string): ActorRef | undefined;
  /** leaves the cluster (after this node's actors have stopped) */
  leave(): Promise<void>;
}

export type JoinCluster = (system: SystemImpl, options: ClusterOptions) => Promise<ClusterHook>;

const SLOT = Symbol.for('troupe.joinCluster');
type Loader = () => Promise<JoinCluster>;

/** Called by the composition root: how to load the cluster module when a system needs it. */
export function provideCluster(loader: Loader): void {
  const slots = globalThis as unknown as Record<symbol, Loader | undefined>;
  slots[SLOT] ??= loader;
}

export function clusterLoader(): Loader | undefined {
  return (globalThis as unknown as Record<symbol, Loader | undefined>)[SLOT];
}
