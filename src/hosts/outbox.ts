/**
 * An outbox toward one other thread: envelopes and replies queued during a tick go out together
 * when the tick ends (or at once past FLUSH_AT, so the receiver starts while the sender goes on).
 * The owner decides how a flushed batch is posted (control port, peer port).
 */
import type { Envelope, ReplyEnvelope } from '../envelope.js';
import { encodeBatch, type WireBatch } from '../wire.js';

/** A batch this big goes out at once. */
const FLUSH_AT = 2048;

export type PostBatch = (envelopes: WireBatch | undefined, replies: ReplyEnvelope[] | undefined, transfer: unknown[]) => void;

export class Outbox {
  private envelopes: Envelope[] = [];
  /** the last envelope, if later items may join it (see `append`), and its merge key */
  private open: Envelope | undefined;
  private openKey: string | undefined;
  private replies: ReplyEnvelope[] = [];
  private transfer: unknown[] = [];
  private scheduled = false;
  private readonly post: PostBatch;

  constructor(post: PostBatch) {
    this.post = post;
  }

  send(envelope: Envelope, transfer?: readonly unknown[]): void {
    this.open = undefined;
    this.envelopes.push(envelope);
    // Transferables move at send time (the sender must not see them afterwards)
    if (transfer && transfer.length > 0) {
      this.transfer.push(...transfer);
      return this.flush();
    }
    if (this.envelopes.length >= FLUSH_AT) return this.flush();
    this.schedule();
  }

  /**
   * Adds `item` to the list message of the last envelope if it is still here and has the same
   * merge key (same target, sender and kind: consecutive queue puts or pipe sends); else starts
   * a new one. Merging never reorders: only the last envelope may grow.
   */
  append(key: string, item: unknown, make: () => Envelope): void {
    if (this.open !== undefined && this.openKey === key) {
      (this.open.msg as { items: unknown[] }).items.push(item);
      if (this.envelopes.length >= FLUSH_AT || (this.open.msg as { items: unknown[] }).items.length >= FLUSH_AT) this.flush();
      return;
    }
    const envelope = make();
    this.send(envelope);
    // still queued (not flushed by that send): later items may join it
    if (this.envelopes[this.envelopes.length - 1] === envelope) {
      this.open = envelope;
      this.openKey = key;
    }
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

  /** Nothing is queued. */
  get idle(): boolean {
    return !this.scheduled && this.envelopes.length === 0 && this.replies.length === 0;
  }

  readonly flush = (): void => {
    this.scheduled = false;
    this.open = undefined;
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
    this.open = undefined;
    const unsent = this.envelopes;
    this.envelopes = [];
    this.replies = [];
    this.transfer = [];
    return unsent;
  }
}
