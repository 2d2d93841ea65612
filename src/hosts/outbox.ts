/**
 * Main's outbox toward one host worker: envelopes and replies queued during a tick go out
 * together when the tick ends (or at once past FLUSH_AT, so the worker starts while main goes on):
 * as one JSON string when all of it is plain data, else envelopes and replies cloned, in that
 * order. The owner decides how a flushed batch is posted.
 */
import type { Envelope, ReplyEnvelope } from '../envelope.js';
import { encodeBatch, type WireBatch } from '../wire.js';

/** A batch this big goes out at once. */
const FLUSH_AT = 2048;

/** `replies` is a JSON batch (wire.ts) or the replies to clone. */
export type PostBatch = (envelopes: WireBatch | undefined, replies: string | ReplyEnvelope[] | undefined, transfer: unknown[]) => void;

const NONE: readonly never[] = [];

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
    const { envelopes, replies } = this;
    if (envelopes.length === 0 && replies.length === 0) return;
    const transfer = this.transfer;
    if (transfer.length > 0) this.transfer = [];
    const text = encodeBatch(envelopes, replies);
    if (text !== undefined) {
      // the arrays were read into the text: they serve the next tick
      envelopes.length = 0;
      replies.length = 0;
      return this.post(text, undefined, transfer);
    }
    // something must be cloned: envelopes first, then replies, each as text if it can be
    const batch = envelopes.length === 0 ? undefined : (encodeBatch(envelopes, NONE) ?? envelopes);
    const answers = replies.length === 0 ? undefined : (encodeBatch(NONE, replies) ?? replies);
    this.envelopes = [];
    this.replies = [];
    this.post(batch, answers, transfer);
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
