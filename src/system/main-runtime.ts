/**
 * The main thread's Runtime: its local cells are the actors placed in main (supervisors, built-in
 * actors, user actors with placement 'main'); everything else it hands to its System.
 */
import type { Logger } from 'pino';
import type { Cell } from '../cell.js';
import type { Envelope, ReplyEnvelope } from '../envelope.js';
import { Runtime } from '../runtime.js';
import type { ActorDefinition, ActorRef, ExitReason, SpawnOptions, System } from '../types.js';
import { liveSystems, ownerOf } from './registry.js';
import type { SystemImpl } from './system.js';

export class MainRuntime extends Runtime {
  constructor(
    private readonly owner: SystemImpl,
    readonly site: number,
  ) {
    super();
  }
  get system(): System {
    return this.owner;
  }
  get log(): Logger {
    return this.owner.log;
  }
  /** The main thread's queued sends wait in the outboxes of every system's hosts. */
  override flushOut(): void {
    for (const system of liveSystems()) system.flushHosts();
  }

  /** No system of this process holds `to` (any more). */
  protected override gone(to: string): boolean {
    return !this.owner.owns(to) && ownerOf(to, this.owner) === undefined;
  }

  protected forward(envelope: Envelope, transfer: readonly unknown[] | undefined): void {
    this.owner.route(envelope, transfer);
  }
  protected forwardReply(reply: ReplyEnvelope): void {
    this.owner.routeReply(reply);
  }
  deadLetter(envelope: Envelope): void {
    this.owner.deadLetter(envelope);
  }
  cellExited(cell: Cell, reason: ExitReason): void {
    this.cells.delete(cell.id);
    this.owner.actorExited(cell.id, reason);
  }
  spawnChild(parentId: string | null, def: ActorDefinition, opts: SpawnOptions): Promise<ActorRef> {
    return this.owner.placement.spawn(def, opts, parentId);
  }
  link(a: string, b: string): void {
    this.owner.link(a, b);
  }
  monitor(watcher: string, target: string): void {
    this.owner.monitor(watcher, target);
  }
  stop(id: string, reason: ExitReason): Promise<void> {
    return this.owner.stopActor(id, reason);
  }
  exited(id: string): Promise<ExitReason> {
    return this.owner.exitOf(id);
  }
  persist(id: string, snapshot: unknown): void {
    this.owner.persist(id, snapshot);
  }
}
