/**
 * Who is in the cluster: every node publishes a heartbeat (its name, incarnation, start time, actor
 * and host counts) every downAfter/4 ms; a node unheard for `downAfter` ms, or one that said
 * goodbye, is down. An incarnation declared down stays down: its later packets are answered
 * `stale`, which makes that node start again as a new incarnation (it also does so by itself when
 * its own connection was gone for `downAfter`, since the others have given up on it meanwhile).
 */
import { nanoid } from 'nanoid';
import type { NodeInfo } from '../types.js';

/** why a node that said goodbye is down */
export const LEFT = 'it left the cluster';

export interface Heartbeat {
  node: string;
  inc: string;
  since: number;
  actors: number;
  hosts: number;
  /** leaving: take me down now */
  bye?: 1;
}

interface Peer extends NodeInfo {
  inc: string;
  seen: number;
}

export interface MembershipEvents {
  up(node: string, inc: string): void;
  down(node: string, inc: string, why: string): void;
  /** publish a heartbeat */
  beat(heartbeat: Heartbeat): void;
  /** a heartbeat of an incarnation declared down: tell it to start again */
  refused(node: string, inc: string): void;
  /** another process uses this node's name */
  clash(beat: Heartbeat): void;
  /** this node's own counts */
  counts(): { actors: number; hosts: number };
}

export class Membership {
  inc = nanoid(10);
  since = Date.now();
  private readonly peers = new Map<string, Peer>();
  /** another process heartbeats under this node's name (said once) */
  private clashed = false;
  /** this node's earlier incarnations (their heartbeats may still be on the way back to us) */
  private readonly past = new Set<string>();
  /** incarnations declared down (their packets are refused) */
  private readonly dead = new Set<string>();

  constructor(
    readonly node: string,
    readonly downAfter: number,
    private readonly events: MembershipEvents,
  ) {}

  get interval(): number {
    return Math.max(50, Math.floor(this.downAfter / 4));
  }

  heartbeat(bye = false): void {
    const beat: Heartbeat = { node: this.node, inc: this.inc, since: this.since, ...this.events.counts() };
    if (bye) beat.bye = 1;
    this.events.beat(beat);
  }

  /** A heartbeat (or the first packet) of a node arrived. */
  heard(beat: Heartbeat): void {
    if (beat.node === this.node) {
      if (beat.inc !== this.inc && !this.past.has(beat.inc) && beat.bye !== 1 && !this.clashed) {
        this.clashed = true;
        this.events.clash(beat);
      }
      return;
    }
    if (this.dead.has(beat.inc)) return void (beat.bye === 1 || this.events.refused(beat.node, beat.inc));
    const now = Date.now();
    let peer = this.peers.get(beat.node);
    if (peer !== undefined && peer.inc !== beat.inc) {
      this.takeDown(peer, 'it came back as a new incarnation');
      peer = undefined;
    }
    if (beat.bye === 1) {
      if (peer) this.takeDown(peer, LEFT);
      return;
    }
    if (peer === undefined) {
      peer = { node: beat.node, inc: beat.inc, since: beat.since, actors: beat.actors, hosts: beat.hosts, seen: now };
      this.peers.set(beat.node, peer);
      this.events.up(beat.node, beat.inc);
      // the newcomer hears from us at once instead of at our next beat
      this.heartbeat();
      return;
    }
    peer.seen = now;
    peer.actors = beat.actors;
    peer.hosts = beat.hosts;
    peer.since = beat.since;
  }

  /** May a packet from this incarnation be taken? An unknown node's first packet introduces it. */
  accepts(node: string, inc: string): boolean {
    if (this.dead.has(inc)) return false;
    if (!this.peers.has(node)) this.heard({ node, inc, since: Date.now(), actors: 0, hosts: 0 });
    return this.peers.get(node)?.inc === inc;
  }

  /** Every interval: nodes unheard for downAfter are down. */
  check(now: number): void {
    for (const peer of [...this.peers.values()]) {
      if (now - peer.seen > this.downAfter) this.takeDown(peer, `no heartbeat for ${this.downAfter} ms`);
    }
  }

  private takeDown(peer: Peer, why: string): void {
    this.peers.delete(peer.node);
    this.dead.add(peer.inc);
    this.events.down(peer.node, peer.inc, why);
  }

  /**
   * This node starts again as a new incarnation (the others declared it down): every peer is down
   * for us too, and comes up again when we hear it (its incarnation is not refused).
   */
  reincarnate(why: string): void {
    this.past.add(this.inc);
    this.inc = nanoid(10);
    // whom we gave up on while cut off gave up on us too: all start again
    this.dead.clear();
    for (const peer of [...this.peers.values()]) {
      this.peers.delete(peer.node);
      this.events.down(peer.node, peer.inc, why);
    }
    this.heartbeat();
  }

  /** An actor was just placed on `node`: count it before its next heartbeat does ('any' spreads). */
  placed(node: string): void {
    const peer = this.peers.get(node);
    if (peer) peer.actors++;
  }

  incOf(node: string): string | undefined {
    return this.peers.get(node)?.inc;
  }

  isUp(node: string): boolean {
    return node === this.node || this.peers.has(node);
  }

  live(): NodeInfo[] {
    const self: NodeInfo = { node: this.node, since: this.since, ...this.events.counts() };
    return [self, ...[...this.peers.values()].map(({ node, since, actors, hosts }) => ({ node, since, actors, hosts }))];
  }
}
