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
import type { Envelope } from '../cell.js';
import { decodeBatch, encodeBatch, type ReplyEnvelope } from '../runtime.js';

export interface PeerBatch {
  /** the fence this batch must not overtake */
  q: number;
  b: Envelope[] | string;
  r: ReplyEnvelope[];
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
  private envelopes: Envelope[] = [];
  private replies: ReplyEnvelope[] = [];
  private transfer: unknown[] = [];
  private flushing = false;
  closed = false;

  constructor(site: number, port: MessagePort, sink: PeerSink, onClose: () => void) {
    this.site = site;
    this.port = port;
    this.sink = sink;
    port.on('message', (batch: PeerBatch) => this.onBatch(batch));
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
    const ready = this.held.filter((batch) => batch.q <= this.seenFence);
    this.held = this.held.filter((batch) => batch.q > this.seenFence);
    for (const batch of ready) this.deliver(batch);
  }

  private onBatch(batch: PeerBatch): void {
    if (batch.q > this.seenFence || this.held.length > 0) {
      this.held.push(batch);
      return this.fenceArrived(this.seenFence);
    }
    this.deliver(batch);
  }

  private deliver(batch: PeerBatch): void {
    for (const envelope of decodeBatch(batch.b)) this.sink.receive(envelope);
    for (const reply of batch.r) this.sink.receiveReply(reply);
  }

  send(envelope: Envelope, transfer: readonly unknown[] | undefined): void {
    this.envelopes.push(envelope);
    if (transfer) this.transfer.push(...transfer);
    // a big batch goes out at once, so the receiver starts while the sender goes on
    if (this.envelopes.length >= 2048) return this.flush();
    this.schedule();
  }

  reply(reply: ReplyEnvelope): void {
    this.replies.push(reply);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(this.flush);
  }

  readonly flush = (): void => {
    this.flushing = false;
    if (this.closed || (this.envelopes.length === 0 && this.replies.length === 0)) return;
    const batch: PeerBatch = { q: this.sentFence, b: encodeBatch(this.envelopes), r: this.replies };
    const transfer = this.transfer;
    this.envelopes = [];
    this.replies = [];
    this.transfer = [];
    this.port.postMessage(batch, transfer as never);
  };

  /** Envelopes not yet posted when the peer went away (their asks must be answered). */
  takeUnsent(): Envelope[] {
    const unsent = this.envelopes;
    this.envelopes = [];
    this.replies = [];
    return unsent;
  }

  close(): void {
    this.closed = true;
    this.port.close();
  }
}
