/**
 * Refs across nodes: this node's stand-in for every other node, registered with the process's
 * systems (registry.ts) as the owner of the ids that live elsewhere. What a system cannot route
 * itself — a send, an ask, a link, a monitor, a stop for a remote id — it hands here, and this
 * sends it on the pair's stream. Where an id lives is learnt from what arrives (a spawn's answer,
 * a sender, the `[id, node]` pairs a message lists for the handles it carries) and forgotten when
 * its node goes down; then every local actor linked to one of that node's actors gets its exit
 * signal, every monitor its DOWN, and every ask still waiting on it NoProcError.
 */
import type { AskAddress, Envelope, ReplyEnvelope } from '../envelope.js';
import { NoProcError, serializeError } from '../errors.js';
import { Recent } from '../recent.js';
import { allocateSite, type Peer } from '../system/registry.js';
import type { SystemImpl } from '../system/system.js';
import type { ExitReason } from '../types.js';
import { reviveReason, serializeReason } from '../wire.js';
import type { Sequenced } from './frame.js';

/** How a remote actor counts as exited when its node goes down (DESIGN §10). */
export const NODEDOWN: ExitReason = { kind: 'killed', detail: 'nodedown' };

export interface RemoteLinks {
  readonly self: string;
  isUp(node: string): boolean;
  send(node: string, packet: Sequenced, json: boolean): void;
  call(node: string, op: string, args: unknown[], fallback?: { value: unknown }): Promise<unknown>;
  /** handles that must stay on this node, replaced by their remote form (handle-exports.ts) */
  exportHandles<T>(value: T, holder: string): T;
}

type Pairs = Array<[string, string]>;

export class Remote implements Peer {
  readonly site = allocateSite();
  /** id → node, for ids that live on other nodes */
  readonly locations = new Map<string, string>();
  /** asks from other nodes waiting for a local reply: our request id → where the answer goes */
  private readonly owed = new Map<number, { node: string; ask: AskAddress }>();
  private nextRid = 1;
  /** asks sent to other nodes, to reject when their node goes down */
  private readonly asked = new Map<string, { node: string; ask: AskAddress }>();
  /** ids of nodes that went down: they exited `{ killed, nodedown }` */
  private readonly downed = new Recent<true>();
  /** remote target → local watchers */
  private readonly monitors = new Map<string, Set<string>>();

  constructor(
    private readonly system: SystemImpl,
    private readonly links: RemoteLinks,
  ) {}

  nodeOf(id: string): string | undefined {
    return this.locations.get(id);
  }

  /** Records where ids live, as a packet listed them. */
  learn(pairs: Pairs | undefined): void {
    if (pairs === undefined) return;
    for (const [id, node] of pairs) if (node !== this.links.self && !this.system.directory.has(id)) this.locations.set(id, node);
  }

  /** Where the ids among a message's handles live (those this node knows of). */
  pairs(value: unknown, into: Pairs = [], depth = 0): Pairs {
    if (typeof value !== 'object' || value === null || depth > 32 || ArrayBuffer.isView(value)) return into;
    if (Array.isArray(value)) {
      for (const item of value) this.pairs(item, into, depth + 1);
      return into;
    }
    const record = value as Record<string, unknown>;
    if (record.__troupe !== undefined) {
      for (const key in record) {
        const v = record[key];
        if (typeof v !== 'string') continue;
        if (this.system.directory.has(v)) into.push([v, this.links.self]);
        else {
          const node = this.locations.get(v);
          if (node !== undefined) into.push([v, node]);
        }
      }
    }
    for (const key in record) this.pairs(record[key], into, depth + 1);
    return into;
  }

  private pairsOf(value: unknown, handles: boolean, from?: string): Pairs | undefined {
    const pairs = handles ? this.pairs(value) : [];
    if (from !== undefined && this.system.directory.has(from)) pairs.push([from, this.links.self]);
    return pairs.length > 0 ? pairs : undefined;
  }

  // ---- Peer: what the systems of this process hand over -------------------------------------------

  owns(id: string): boolean {
    return this.locations.has(id) || this.downed.get(id) === true;
  }

  ownsSite(site: number): boolean {
    return site === this.site;
  }

  route(envelope: Envelope): void {
    const node = this.locations.get(envelope.to);
    if (node === undefined || !this.links.isUp(node)) return this.system.deadLetter(envelope);
    if (envelope.handles === 1) envelope.msg = this.links.exportHandles(envelope.msg, envelope.to);
    const key = envelope.ask ? `${envelope.ask.site}:${envelope.ask.rid}` : undefined;
    if (key !== undefined) this.asked.set(key, { node, ask: envelope.ask! });
    const l = this.pairsOf(envelope.msg, envelope.handles === 1, envelope.from);
    try {
      this.links.send(node, l ? { k: 'm', e: envelope, l } : { k: 'm', e: envelope }, envelope.clone !== 1);
    } catch (error) {
      // too big for any stream (SerializationError): a send throws at its sender, an ask rejects
      if (key === undefined) throw error;
      this.asked.delete(key);
      this.system.routeReply({ ask: envelope.ask!, ok: false, value: serializeError(error) });
    }
  }

  routeReply(reply: ReplyEnvelope): void {
    const owed = this.owed.get(reply.ask.rid);
    if (owed === undefined) return;
    this.owed.delete(reply.ask.rid);
    if (!this.links.isUp(owed.node)) return;
    const value = reply.ok ? this.links.exportHandles(reply.value, `@${owed.node}`) : reply.value;
    const l = reply.ok ? this.pairsOf(value, true) : undefined;
    const packet: Sequenced = { k: 'r', ask: owed.ask, ok: reply.ok, value, clone: reply.clone ?? 1 };
    if (l) packet.l = l;
    this.links.send(owed.node, packet, reply.clone === 0 || !reply.ok);
  }

  /** `remote` (on another node) and `local` are linked: both sides record it. */
  link(remote: string, local: string): void {
    const node = this.locations.get(remote);
    const entry = this.system.directory.entries.get(local);
    if (node === undefined || !this.links.isUp(node)) {
      if (entry) this.system.linkedExited(local, remote, { kind: 'error', detail: 'noproc', error: new NoProcError(`link to ${remote}: no such actor`) });
      return;
    }
    if (entry) (entry.links ??= new Set()).add(remote);
    this.op(node, 'link', [remote, local]);
  }

  unlink(remote: string, local: string): void {
    this.system.directory.entries.get(local)?.links?.delete(remote);
    const node = this.locations.get(remote);
    if (node !== undefined) this.op(node, 'unlink', [remote, local]);
  }

  monitor(watcher: string, target: string): void {
    const node = this.locations.get(target);
    if (node === undefined || !this.links.isUp(node)) return this.down(watcher, target, { kind: 'noproc' });
    let watchers = this.monitors.get(target);
    if (!watchers) this.monitors.set(target, (watchers = new Set()));
    watchers.add(watcher);
    this.op(node, 'monitor', [watcher, target]);
  }

  /** A local actor that `id` (remote) is linked to exited. */
  linkedExited(id: string, from: string, reason: ExitReason): void {
    const node = this.locations.get(id);
    if (node !== undefined) this.op(node, 'exit', [id, from, serializeReason(reason)]);
  }

  exitOf(id: string): Promise<ExitReason> {
    const node = this.locations.get(id);
    if (node === undefined) return Promise.resolve(NODEDOWN);
    return this.links.call(node, 'exitOf', [id], { value: NODEDOWN }).then(reviveReason);
  }

  stopActor(id: string, reason: ExitReason): Promise<void> {
    const node = this.locations.get(id);
    if (node === undefined) return Promise.resolve();
    return this.links.call(node, 'stop', [id, serializeReason(reason)], { value: undefined }).then(() => {});
  }

  terminate(id: string, reason: ExitReason, runStop?: boolean): void {
    const node = this.locations.get(id);
    if (node !== undefined) this.op(node, 'terminate', [id, serializeReason(reason), runStop === true]);
  }

  flushHosts(): void {}

  labelOf(): string | undefined {
    return undefined;
  }

  private op(node: string, op: string, args: unknown[]): void {
    const l = this.pairsOf(args, true);
    const known = args.filter((id): id is string => typeof id === 'string' && this.system.directory.has(id)).map((id): [string, string] => [id, this.links.self]);
    const pairs = [...(l ?? []), ...known];
    this.links.send(node, pairs.length > 0 ? { k: 'o', op, args, l: pairs } : { k: 'o', op, args }, false);
  }

  // ---- what other nodes send ----------------------------------------------------------------------

  /** An envelope from `node` for an actor here. */
  arrive(node: string, envelope: Envelope, pairs: Pairs | undefined): void {
    this.learn(pairs);
    if (envelope.from !== undefined && !this.system.directory.has(envelope.from)) this.locations.set(envelope.from, node);
    if (envelope.ask) {
      const rid = this.nextRid++;
      this.owed.set(rid, { node, ask: envelope.ask });
      envelope.ask = { site: this.site, rid };
    }
    const msg = envelope.msg as { type?: unknown; ref?: { id?: unknown } } | null;
    if (envelope.from === undefined && msg !== null && typeof msg === 'object' && msg.type === 'DOWN' && typeof msg.ref?.id === 'string') {
      this.monitors.get(msg.ref.id)?.delete(envelope.to);
    }
    this.system.route(envelope);
  }

  /** The answer to an ask this node forwarded. */
  answered(packet: Extract<Sequenced, { k: 'r' }>): void {
    this.learn(packet.l);
    this.asked.delete(`${packet.ask.site}:${packet.ask.rid}`);
    this.system.routeReply({ ask: packet.ask, ok: packet.ok, value: packet.value, clone: packet.clone });
  }

  /** The ops other nodes send (link, monitor, exit signals, stops). */
  serve(node: string, op: string, args: unknown[]): Promise<unknown> | void {
    const system = this.system;
    switch (op) {
      case 'link': {
        const [local, remote] = args as [string, string];
        this.locations.set(remote, node);
        const entry = system.directory.entries.get(local);
        if (entry) (entry.links ??= new Set()).add(remote);
        else this.op(node, 'exit', [remote, local, serializeReason({ kind: 'error', detail: 'noproc', error: new NoProcError(`link to ${local}: no such actor`) })]);
        return;
      }
      case 'unlink':
        system.directory.entries.get(args[0] as string)?.links?.delete(args[1] as string);
        return;
      case 'exit':
        return system.linkedExited(args[0] as string, args[1] as string, reviveReason(args[2]));
      case 'monitor': {
        const [watcher, target] = args as [string, string];
        this.locations.set(watcher, node);
        const entry = system.directory.get(target);
        if (entry) (entry.watchers ??= []).push(watcher);
        else this.down(watcher, target, { kind: 'noproc' });
        return;
      }
      case 'exitOf':
        return system.exitOf(args[0] as string).then(serializeReason);
      case 'stop':
        return system.stopActor(args[0] as string, reviveReason(args[1]));
      case 'terminate':
        return system.terminate(args[0] as string, reviveReason(args[1]), args[2] === true);
      default:
        throw new NoProcError(`unknown cluster operation ${op}: run the same troupe version on every node`);
    }
  }

  /** A DOWN message to `watcher` (local or remote) about `target`. */
  private down(watcher: string, target: string, reason: ExitReason | { kind: 'noproc' }): void {
    const wire = reason.kind !== 'noproc' && (reason as ExitReason).error !== undefined ? serializeReason(reason as ExitReason) : reason;
    const msg = { type: 'DOWN', ref: { __troupe: 'ref', id: target, name: undefined }, reason: wire };
    this.system.route({ to: watcher, msg, handles: 1 });
  }

  /** `node` is down: its actors count as exited `{ killed, nodedown }` (DESIGN §10). */
  nodeDown(node: string): void {
    const system = this.system;
    const gone = new Set<string>();
    for (const [id, where] of this.locations) if (where === node) gone.add(id);
    for (const [key, asked] of this.asked) {
      if (asked.node !== node) continue;
      this.asked.delete(key);
      system.routeReply({ ask: asked.ask, ok: false, value: serializeError(new NoProcError(`the node ${node} went down before the reply (its actors count as killed)`)) });
    }
    for (const [rid, owed] of this.owed) if (owed.node === node) this.owed.delete(rid);
    for (const [target, watchers] of this.monitors) {
      if (!gone.has(target)) continue;
      this.monitors.delete(target);
      for (const watcher of watchers) this.down(watcher, target, NODEDOWN);
    }
    for (const entry of [...system.directory.entries.values()]) {
      if (entry.watchers) entry.watchers = entry.watchers.filter((watcher) => !gone.has(watcher));
      for (const linked of [...(entry.links ?? [])]) if (gone.has(linked)) system.linkedExited(entry.id, linked, NODEDOWN);
    }
    for (const id of gone) {
      this.locations.delete(id);
      this.downed.set(id, true);
    }
  }
}
