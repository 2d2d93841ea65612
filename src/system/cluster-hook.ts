/**
 * The kernel's one door to the cluster (DESIGN §10): a system created with `{ cluster }` holds a
 * ClusterHook, made by the cluster module that the composition root (`src/index.ts`) provides as
 * a lazy loader. The kernel never imports the cluster module, and a system without `cluster`
 * loads nothing of NATS.
 */
import type { Locator } from '../define.js';
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
  /** every global name with its holder's id (a new host's name table) */
  globalNames(): Array<[string, string]>;
  /**
   * Runs a Pool batch (`locator`'s export called with `[batch]`) on a pool worker of whichever
   * node takes it (a NATS queue group); `taken` is called when a node has it. Rejects
   * BrokenWorkerError when that node goes down first.
   */
  runPoolBatch(locator: Locator, batch: { worker?: unknown; initializer?: unknown; locators: Locator[] }, taken: () => void): Promise<unknown>;
  /** calls `method` of a handle another node owns (a Queue, Lock, Pipe end ... that travelled here) */
  invokeRemote(node: string, token: string, method: string, args: unknown[], caller: string | undefined): Promise<unknown>;
  /** a handle of this node that travelled elsewhere, by its token */
  exportedHandle(token: string): object | undefined;
  /** leaves the cluster (after this node's actors have stopped) */
  leave(): Promise<void>;
}

const JOINED = Symbol.for('troupe.clusters');

/** The clusters systems of this process have joined (a cluster Pool runs on the first). */
export function joinedClusters(): Set<ClusterHook> {
  const slots = globalThis as unknown as Record<symbol, Set<ClusterHook> | undefined>;
  return (slots[JOINED] ??= new Set());
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
