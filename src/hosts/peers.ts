/**
 * Direct worker-to-worker links. Main pairs two hosts with a MessageChannel once one sends to an
 * actor on the other, and tells the sender where that actor lives; from then on envelopes and
 * replies go straight across, batched per tick, without the hop through main.
 *
 * Order is kept with fences: before a sender sends directly to a newly learned actor it posts a
 * fence (seq n) through main, behind everything it sent that way; the receiver holds direct
 * batches stamped with seq n until fence n has arrived through main. So per sender-receiver pair,
 * messages arrive in the order they were sent, whichever path each took.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Envelope, ReplyEnvelope } from '../envelope.js';
import { decodeBatch, type WireBatch } from '../wire.js';
import { Outbox } from './outbox.js';

export interface PeerBatch {
  /** the fence this batch must not overtake */
  fence: number;
  envelopes: WireBatch;
  replies: ReplyEnvelope[];
}

export interface PeerSink {
  receive(envelope: Envelope): void;
  receiveReply(reply: ReplyEnvelope): void;
}

export class Peer {
  readonly site: number;
  private readonly port: MessagePort;
  private readonly sink: PeerSink;
  /** fences sent to this peer (through main) */
  private sentFence = 0;
  /** fences received from this peer (through main) */
  private seenFence = 0;
  private held: PeerBatch[] = [];
  private readonly outbox = new Outbox((envelopes, replies, transfer) => {
    if (this.closed) return;
    const batch: PeerBatch = { fence: this.sentFence, envelopes: envelopes ?? [], replies: replies ?? [] };
    this.port.postMessage(batch, transfer as never);
  });
  closed = false;

  constructor(site: number, port: MessagePort, sink: PeerSink, onClose: () => void) {
    this.site = site;
    this.port = port;
    this.sink = sink;
    port.on('message', (batch: PeerBatch) => this.onBatch(batch));
    // the control port keeps the worker alive; a peer link must not (a Process's ref'd work is counted)
    port.unref();
    port.on('close', () => {
      this.closed = true;
      onClose();
    });
  }

  /** Next fence number to post through main before sending to a newly learned actor. */
  nextFence(): number {
    return ++this.sentFence;
  }

  fenceArrived(seq: number): void {
    if (seq > this.seenFence) this.seenFence = seq;
    if (this.held.length === 0) return;
    const ready = this.held.filter((batch) => batch.fence <= this.seenFence);
    this.held = this.held.filter((batch) => batch.fence > this.seenFence);
    for (const batch of ready) this.deliver(batch);
  }

  private onBatch(batch: PeerBatch): void {
    if (batch.fence > this.seenFence || this.held.length > 0) {
      this.held.push(batch);
      return this.fenceArrived(this.seenFence);
    }
    this.deliver(batch);
  }

  private deliver(batch: PeerBatch): void {
    for (const envelope of decodeBatch(batch.envelopes)) this.sink.receive(envelope);
    for (const reply of batch.replies) this.sink.receiveReply(reply);
  }

  send(envelope: Envelope, transfer: readonly unknown[] | undefined): void {
    this.outbox.send(envelope, transfer);
  }

  reply(reply: ReplyEnvelope): void {
    this.outbox.reply(reply);
  }

  flush(): void {
    this.outbox.flush();
  }

  /** Envelopes not yet posted when the peer went away (their asks must be answered). */
  takeUnsent(): Envelope[] {
    return this.outbox.takeUnsent();
  }

  close(): void {
    this.closed = true;
    this.port.close();
  }
}
