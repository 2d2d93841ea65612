/**
 * The kernel operations workers call in main (`HostRuntime.call`), as one typed map: each op's
 * arguments and result. Extensions serve ops of their own under their name (extension.ts).
 */
import type { Locator } from '../define.js';
import type { CallSite, KernelOp } from '../extension.js';
import type { ExitReason } from '../types.js';
import { reviveReason, serializeReason } from '../wire.js';
import type { LocatedSpawn } from './placement.js';
import type { SystemImpl } from './system.js';

/** Every core op: its argument tuple and what it resolves. */
export interface CoreOps {
  spawn(args: [locator: Locator, options: LocatedSpawn], from: CallSite): Promise<{ id: string; name: string | undefined }>;
  link(args: [a: string, b: string]): void;
  monitor(args: [watcher: string, target: string]): void;
  stop(args: [id: string, reason: unknown]): Promise<void>;
  exited(args: [id: string]): Promise<unknown>;
  persist(args: [id: string, snapshot: unknown]): void;
}

export type CoreOp = keyof CoreOps;

/** The core ops served by `system`. */
export function coreOps(system: SystemImpl): Readonly<Record<string, KernelOp>> {
  const typed: CoreOps = {
    spawn: ([locator, options]) => system.placement.spawnLocated(locator, options).then((ref) => ({ id: ref.id, name: ref.name })),
    link: ([a, b]) => system.link(a, b),
    monitor: ([watcher, target]) => system.monitor(watcher, target),
    stop: ([id, reason]) => system.stopActor(id, reviveReason(reason)),
    exited: ([id]) => system.exitOf(id).then((reason: ExitReason) => serializeReason(reason)),
    persist: ([id, snapshot]) => system.persist(id, snapshot),
  };
  return typed as unknown as Record<string, KernelOp>;
}
