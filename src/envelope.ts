/**
 * What travels between actors: an envelope carries one message to one actor, with who sent it and,
 * for an ask, where the reply goes. Plain data, so a batch of them can be posted to another thread
 * as it is (or encoded by `wire.ts`, the only place that knows their compact form).
 */

/** Where the answer to an ask goes: the site (thread) that asked, and its request id there. */
export interface AskAddress {
  site: number;
  rid: number;
}

export interface Envelope {
  /** target actor id (or `name:<registered name>`) */
  to: string;
  msg: unknown;
  /** set for an ask */
  ask?: AskAddress;
  /** the sender's actor id, when known */
  from?: string;
  /** the message holds handles to revive on arrival */
  handles?: 1;
  /** the message is not plain JSON data: its batch travels by structured clone */
  clone?: 1;
}

/** The answer to an ask, on its way back to the asking site. */
export interface ReplyEnvelope {
  ask: AskAddress;
  ok: boolean;
  value: unknown;
  /** whether the value is not plain JSON data (1) or is (0), when the sender knows */
  clone?: 0 | 1;
}
