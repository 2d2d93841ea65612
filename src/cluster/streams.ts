/**
 * One ordered, acknowledged stream per pair of node incarnations. NATS core delivers at most once:
 * a message in flight when the server restarts, or published while its receiver was reconnecting,
 * is gone. So every packet between two nodes carries a sequence number; the receiver delivers
 * them in order, once (duplicates dropped, a gap refused and asked again with `nack`), and
 * acknowledges cumulatively; the sender keeps what is not acknowledged and sends it again until it
 * is. What is still unacknowledged when a node goes down (or is re-incarnated) is handed back to
 * be reported — a dead letter, a rejected ask — never silently lost.
 */
import type { Logger } from 'pino';
import { chunkSize, decode, encode, encodeBatch, split, WireVersionError, type Control, type Origin, type Packet, type Sequenced } from './frame.js';
import type { Nats, Subjects } from './connection.js';

/** Acknowledge at least every this many delivered frames (and on every tick): a frame may hold a whole tick of packets. */
const ACK_EVERY = 8;

export interface StreamEvents {
  /** a packet from `node`, in order, once */
  deliver(node: string, packet: Sequenced): void;
  /** packets to `node` that were never acknowledged (it went down or changed incarnation) */
  failed(node: string, packets: Sequenced[]): void;
  /** may a packet from this incarnation be taken? (false: it was declared down) */
  accepts(node: string, inc: string): boolean;
  /** a peer says it sees an incarnation of ours as gone */
  stale(from: string, inc: string): void;
}

interface Unacked {
  s: number;
  frame: Uint8Array;
  /** the packets, on the last frame that carries them */
  packets?: Sequenced[];
  at: number;
}

class Outgoing {
  inc: string | undefined;
  next = 1;
  unacked: Unacked[] = [];
  head = 0;
  /** packets waiting for the destination's incarnation to be known */
  waiting: Array<{ packet: Sequenced; json: boolean; at: number }> = [];
  /** plain-JSON packets of this tick, as text, sent together at its end (one NATS message) */
  parts: string[] = [];
  batched: Sequenced[] = [];
  size = 0;
  flushing = false;
}

class Incoming {
  expected = 1;
  acked = 0;
  nacked = 0;
  pieces: Uint8Array[] = [];
  constructor(readonly inc: string) {}
}

export class Streams {
  private readonly out = new Map<string, Outgoing>();
  private readonly in = new Map<string, Incoming>();
  private maxChunk: number;

  constructor(
    private readonly nats: Nats,
    private readonly subjects: Subjects,
    private readonly self: { readonly node: string; inc: string },
    private readonly events: StreamEvents,
    private readonly log: Logger,
  ) {
    this.maxChunk = chunkSize(nats.info?.max_payload ?? 1024 * 1024);
  }

  /** Sends a packet to `node` in order; throws SerializationError if it is too big for any stream. */
  send(node: string, packet: Sequenced, json: boolean): void {
    let out = this.out.get(node);
    if (!out) this.out.set(node, (out = new Outgoing()));
    if (out.inc === undefined) {
      out.waiting.push({ packet, json, at: Date.now() });
      return;
    }
    this.transmit(node, out, packet, json);
  }

  private transmit(node: string, out: Outgoing, packet: Sequenced, json: boolean): void {
    if (json) {
      const text = JSON.stringify(packet);
      // a char is at most 3 bytes of UTF-8: the batch stays under one NATS message
      const bytes = text.length * 3;
      if (bytes < this.maxChunk / 2) {
        if (out.size + bytes > this.maxChunk - 256) this.flush(node, out);
        out.parts.push(text);
        out.batched.push(packet);
        out.size += bytes;
        if (!out.flushing) {
          out.flushing = true;
          queueMicrotask(() => this.flush(node, out));
        }
        return;
      }
    }
    this.flush(node, out);
    this.transmitAlone(node, out, packet, json);
  }

  /** Sends the packets batched this tick as one frame. */
  private flush(node: string, out: Outgoing): void {
    out.flushing = false;
    if (out.parts.length === 0 || this.out.get(node) !== out) return;
    const s = out.next++;
    const frame = encodeBatch({ f: this.self.node, i: this.self.inc, ti: out.inc! }, s, out.parts);
    out.unacked.push({ s, frame, packets: out.batched, at: Date.now() });
    out.parts = [];
    out.batched = [];
    out.size = 0;
    this.nats.publish(this.subjects.node(node), frame);
  }

  private transmitAlone(node: string, out: Outgoing, packet: Sequenced, json: boolean): void {
    const origin: Origin = { f: this.self.node, i: this.self.inc, ti: out.inc! };
    const frame = encode({ ...origin, s: out.next, ...packet } as Packet, json);
    const now = Date.now();
    const subject = this.subjects.node(node);
    if (frame.length <= this.maxChunk) {
      const s = out.next++;
      out.unacked.push({ s, frame, packets: [packet], at: now });
      this.nats.publish(subject, frame);
      return;
    }
    const pieces = split(frame, this.maxChunk);
    pieces.forEach((b, index) => {
      const last = index === pieces.length - 1;
      const s = out.next++;
      const piece = encode({ ...origin, s, k: 'x', b, ...(last ? { last: 1 as const } : {}) }, false);
      out.unacked.push({ s, frame: piece, packets: last ? [packet] : undefined, at: now });
      this.nats.publish(subject, piece);
    });
  }

  /** The destination's incarnation is known (it came up, or came back as a new one). */
  known(node: string, inc: string): void {
    let out = this.out.get(node);
    if (out?.inc !== undefined && out.inc !== inc) {
      this.forget(node);
      out = undefined;
    }
    if (!out) this.out.set(node, (out = new Outgoing()));
    out.inc = inc;
    const waiting = out.waiting;
    out.waiting = [];
    for (const { packet, json } of waiting) this.transmit(node, out, packet, json);
  }

  /** The node is down: what it never acknowledged is handed back to be reported. */
  forget(node: string): void {
    const out = this.out.get(node);
    this.out.delete(node);
    this.in.delete(node);
    if (!out) return;
    const lost: Sequenced[] = [];
    for (let i = out.head; i < out.unacked.length; i++) lost.push(...(out.unacked[i]!.packets ?? []));
    lost.push(...out.batched);
    for (const { packet } of out.waiting) lost.push(packet);
    if (lost.length > 0) this.events.failed(node, lost);
  }

  /** This node changed incarnation: every stream starts again (what was unacknowledged is reported). */
  restart(): void {
    for (const node of [...this.out.keys()]) this.forget(node);
    this.in.clear();
  }

  /** Nodes whose incarnation never became known within `ms` (it never came up). */
  overdue(now: number, ms: number): string[] {
    const nodes: string[] = [];
    for (const [node, out] of this.out) if (out.inc === undefined && out.waiting.length > 0 && now - out.waiting[0]!.at > ms) nodes.push(node);
    return nodes;
  }

  /** Periodic upkeep: acknowledgements, and resending what has waited too long for one. */
  tick(now: number, resendAfter: number): void {
    for (const [node, incoming] of this.in) {
      if (incoming.expected - 1 > incoming.acked) this.ack(node, incoming);
      incoming.nacked = 0;
    }
    for (const [node, out] of this.out) {
      const oldest = out.unacked[out.head];
      if (oldest !== undefined && now - oldest.at > resendAfter) this.resend(node, out, oldest.s, now);
    }
  }

  private resend(node: string, out: Outgoing, from: number, now: number): void {
    const subject = this.subjects.node(node);
    for (let i = out.head; i < out.unacked.length; i++) {
      const item = out.unacked[i]!;
      if (item.s < from) continue;
      item.at = now;
      this.nats.publish(subject, item.frame);
    }
  }

  private ack(node: string, incoming: Incoming): void {
    incoming.acked = incoming.expected - 1;
    this.control(node, incoming.inc, { k: 'ack', s: incoming.acked });
  }

  control(node: string, inc: string, packet: Control): void {
    const frame = encode({ f: this.self.node, i: this.self.inc, ti: inc, ...packet }, true);
    this.nats.publish(this.subjects.node(node), frame);
  }

  /** A frame arrived on this node's subject. */
  receive(frame: Uint8Array): void {
    let packet: Packet;
    try {
      packet = decode(frame);
    } catch (error) {
      const known = error instanceof WireVersionError;
      this.log.error({ err: error, bytes: frame.length }, known ? 'a frame of an unknown wire version was refused' : 'an undecodable frame was dropped');
      return;
    }
    const { f: node, i: inc } = packet;
    if (packet.k === 'stale') return this.events.stale(node, packet.ti);
    if (packet.ti !== this.self.inc) return; // sent to an incarnation of ours that is gone
    if (packet.k === 'ack' || packet.k === 'nack') return this.answer(node, inc, packet);
    if (!this.events.accepts(node, inc)) return this.control(node, inc, { k: 'stale' });
    let incoming = this.in.get(node);
    if (incoming === undefined || incoming.inc !== inc) this.in.set(node, (incoming = new Incoming(inc)));
    const s = (packet as { s: number }).s;
    if (s < incoming.expected) return; // a duplicate (resent before our ack arrived)
    if (s > incoming.expected) {
      // a gap: something was lost; refuse this one and ask from the gap (once per tick)
      if (incoming.nacked !== incoming.expected) {
        incoming.nacked = incoming.expected;
        this.control(node, inc, { k: 'nack', s: incoming.expected });
      }
      return;
    }
    incoming.expected++;
    if (incoming.expected - 1 - incoming.acked >= ACK_EVERY) this.ack(node, incoming);
    const sequenced = packet as Packet & Sequenced;
    if (sequenced.k === 'b') {
      for (const one of sequenced.p) this.events.deliver(node, one);
      return;
    }
    if (sequenced.k === 'x') {
      incoming.pieces.push(sequenced.b);
      if (sequenced.last !== 1) return;
      const whole = Buffer.concat(incoming.pieces);
      incoming.pieces = [];
      let inner: Packet;
      try {
        inner = decode(whole);
      } catch (error) {
        this.log.error({ err: error, bytes: whole.length }, 'a chunked frame could not be decoded');
        return;
      }
      return this.events.deliver(node, inner as Packet & Sequenced);
    }
    this.events.deliver(node, sequenced);
  }

  private answer(node: string, inc: string, packet: { k: 'ack' | 'nack'; s: number }): void {
    const out = this.out.get(node);
    if (!out || out.inc !== inc) return;
    if (packet.k === 'nack') return this.resend(node, out, packet.s, Date.now());
    while (out.head < out.unacked.length && out.unacked[out.head]!.s <= packet.s) out.unacked[out.head++] = undefined as unknown as Unacked;
    if (out.head > 1024 && out.head * 2 > out.unacked.length) {
      out.unacked = out.unacked.slice(out.head);
      out.head = 0;
    }
  }
}
