/**
 * Main's outbox toward one host worker: envelopes and replies queued during a tick go out
 * together when the tick ends (or at once past FLUSH_AT, so the worker starts while main goes on).
 * The owner decides how a flushed batch is posted.
 */
import type { Envelope, ReplyEnvelope } from '../envelope.js';
import { encodeBatch, type WireBatch } from '../wire.js';

/** A batch this big goes out at once. */
const FLUSH_AT = 2048;

export type PostBatch = (envelopes: WireBatch | undefined, replies: ReplyEnvelope[] | undefined, transfer: unknown[]) => void;

export class Outbox {
  private envelopes: Envelope[] = [];
  private replies: ReplyEnvelope[] = [];
  private transfer: unknown[] = [];
  private scheduled = false;
  private readonly post: PostBatch;

  constructor(post: PostBatch) {
    this.post = post;
  }

  send(envelope: Envelope, transfer?: readonly unknown[]): void {
    this.envelopes.push(envelope);
    // Transferables move at send time (the sender must not see them afterwards)
    if (transfer && transfer.length > 0) {
      this.transfer.push(...transfer);
      return this.flush();
    }
    if (this.envelopes.length >= FLUSH_AT) return this.flush();
    this.schedule();
  }

  reply(reply: ReplyEnvelope): void {
    this.replies.push(reply);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.flush);
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.envelopes.length === 0 && this.replies.length === 0) return;
    const envelopes = this.envelopes.length > 0 ? encodeBatch(this.envelopes) : undefined;
    const replies = this.replies.length > 0 ? this.replies : undefined;
    const transfer = this.transfer;
    this.envelopes = [];
    this.replies = [];
    this.transfer = [];
    this.post(envelopes, replies, transfer);
  };

  /** Drops what was not sent and hands back its envelopes (asks among them must be answered). */
  takeUnsent(): Envelope[] {
    const unsent = this.envelopes;
    this.envelopes = [];
    this.replies = [];
    this.transfer = [];
    return unsent;
  }
}
