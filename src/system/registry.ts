/**
 * Every live system of this Node process, and the site numbers they share. All systems live in the
 * same main thread, so a handle made by one (a Queue of the default system) keeps working inside
 * another: what a system cannot route itself — an id, a name, a reply site it does not know — it
 * hands to the system that owns it (DESIGN §1, "handles travel ... in any system"). Site numbers
 * (the main thread of each system, every host) are unique in the process for that reason.
 */
import type { Envelope, ReplyEnvelope } from '../envelope.js';
import type { ExitReason } from '../types.js';

/** What one system answers for the others. */
export interface Peer {
  /** does this system's directory hold `id` (or this `name:`)? */
  owns(id: string): boolean;
  /** is `site` this system's main thread or one of its hosts? */
  ownsSite(site: number): boolean;
  route(envelope: Envelope, transfer?: readonly unknown[]): void;
  routeReply(reply: ReplyEnvelope): void;
  link(a: string, b: string): void;
  unlink(a: string, b: string): void;
  monitor(watcher: string, target: string): void;
  /** an actor of another system that `id` is linked to exited */
  linkedExited(id: string, from: string, reason: ExitReason): void;
  exitOf(id: string): Promise<ExitReason>;
  stopActor(id: string, reason: ExitReason): Promise<void>;
  terminate(id: string, reason: ExitReason, runStop?: boolean): void;
  /** posts what waits in its hosts' outboxes */
  flushHosts(): void;
  labelOf(id: string): string | undefined;
}

interface Registry {
  systems: Set<Peer>;
  nextSite: number;
}

const SLOT = Symbol.for('troupe.systems');

function registry(): Registry {
  const slots = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (slots[SLOT] ??= { systems: new Set(), nextSite: 1 });
}

/** A site number unique in this process (a system's main thread, or a host). */
export function allocateSite(): number {
  return registry().nextSite++;
}

export function joinRegistry(system: Peer): void {
  registry().systems.add(system);
}

export function leaveRegistry(system: Peer): void {
  registry().systems.delete(system);
}

/** The other live system that holds `id`, if any. */
export function ownerOf(id: string, except: Peer): Peer | undefined {
  for (const system of registry().systems) if (system !== except && system.owns(id)) return system;
  return undefined;
}

/** The other live system that owns `site`, if any. */
export function siteOwner(site: number, except: Peer): Peer | undefined {
  for (const system of registry().systems) if (system !== except && system.ownsSite(site)) return system;
  return undefined;
}

/** Live systems (the testing setup checks that tests shut theirs down). */
export function liveSystems(): Peer[] {
  return [...registry().systems];
}
