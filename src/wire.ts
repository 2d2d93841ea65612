/**
 * The wire codec: how envelopes, exit reasons and errors cross threads. Toward a worker, a
 * flush of envelopes and replies that are all plain JSON data becomes one JSON string (cheaper to
 * post than a structured clone of many objects), with runs of one-way messages between the same
 * sender and target sharing one header. From a worker, each envelope is one ring record (an array whose
 * first element says what it is), written the moment it is sent. This file is the only one that
 * knows these compact forms.
 */
import type { Envelope, ReplyEnvelope } from './envelope.js';
import { reviveError, serializeError } from './errors.js';
import type { ExitReason } from './types.js';

/** A posted batch of envelopes: the envelopes themselves (structured clone) or the JSON text of a flush. */
export type WireBatch = Envelope[] | string;

type Group = [to: string, from: string | 0, handles: 0 | 1, msg: unknown, site?: number, rid?: number];
type ReplyGroup = [rid: number, ok: 0 | 1, value?: unknown];

/** Whether a reply travels in the JSON text: plain data, or no value at all (undefined). */
function plainReply(reply: ReplyEnvelope): boolean {
  return reply.clone === 0 || (reply.ok && reply.clone === 1 && reply.value === undefined);
}

function replyGroup(reply: ReplyEnvelope): ReplyGroup {
  return reply.value === undefined ? [reply.ask.rid, reply.ok ? 1 : 0] : [reply.ask.rid, reply.ok ? 1 : 0, reply.value];
}

/**
 * A flush from main toward a worker (envelopes, then replies to that worker's asks) as one JSON
 * string when everything in it is plain JSON data, else undefined (the caller clones). Its groups:
 * `[to, from, handles, [m1, m2, ...]]` (a run of one-way messages between the same sender and
 * target), `[to, from, handles, m, site, rid]` (an ask), `[rid, ok, value?]` (a reply: it starts
 * with a number).
 */
export function encodeBatch(envelopes: readonly Envelope[], replies: readonly ReplyEnvelope[]): string | undefined {
  for (let i = 0; i < envelopes.length; i++) if (envelopes[i]!.clone === 1) return undefined;
  for (let i = 0; i < replies.length; i++) if (!plainReply(replies[i]!)) return undefined;
  // a round trip's one ask or one reply: written without the intermediate arrays
  if (envelopes.length + replies.length === 1) return envelopes.length === 1 ? '[' + encodeOne(envelopes[0]!) + ']' : JSON.stringify([replyGroup(replies[0]!)]);
  const groups: unknown[] = [];
  let run: unknown[] | undefined;
  let runTo: string | undefined;
  let runFrom: string | undefined;
  let runHandles = 0;
  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i]!;
    const handles = e.handles === 1 ? 1 : 0;
    if (e.ask) {
      groups.push([e.to, e.from ?? 0, handles, e.msg, e.ask.site, e.ask.rid]);
      run = undefined;
      continue;
    }
    if (run !== undefined && e.to === runTo && e.from === runFrom && handles === runHandles) {
      run.push(e.msg);
      continue;
    }
    run = [e.msg];
    runTo = e.to;
    runFrom = e.from;
    runHandles = handles;
    groups.push([e.to, e.from ?? 0, handles, run]);
  }
  for (let i = 0; i < replies.length; i++) groups.push(replyGroup(replies[i]!));
  return JSON.stringify(groups);
}

/** One envelope's group, as JSON text. */
function encodeOne(e: Envelope): string {
  const head = '[' + JSON.stringify(e.to) + ',' + (e.from === undefined ? '0' : JSON.stringify(e.from)) + (e.handles === 1 ? ',1,' : ',0,');
  const msg = JSON.stringify(e.msg);
  return e.ask ? head + msg + ',' + e.ask.site + ',' + e.ask.rid + ']' : head + '[' + msg + ']]';
}

/** Where a worker puts what a batch brings. */
export interface BatchReceiver {
  receive(envelope: Envelope): void;
  /** a reply to one of this site's asks (its rid) */
  settleReply(rid: number, ok: boolean, value: unknown): void;
}

/** Hands a posted batch's envelopes and replies to `to`, in order. */
export function readBatch(batch: WireBatch, to: BatchReceiver): void {
  if (typeof batch !== 'string') {
    for (const envelope of batch) to.receive(envelope);
    return;
  }
  const groups = JSON.parse(batch) as Array<Group | ReplyGroup>;
  for (const group of groups) {
    if (typeof group[0] === 'number') {
      const [rid, ok, value] = group as ReplyGroup;
      to.settleReply(rid, ok === 1, value);
      continue;
    }
    const [to_, from, handles] = group as Group;
    if (group.length === 6) {
      const e: Envelope = { to: to_, msg: group[3], ask: { site: group[4]!, rid: group[5]! } };
      if (from !== 0) e.from = from;
      if (handles === 1) e.handles = 1;
      to.receive(e);
      continue;
    }
    for (const msg of group[3] as unknown[]) {
      const e: Envelope = from === 0 ? { to: to_, msg } : { to: to_, msg, from };
      if (handles === 1) e.handles = 1;
      to.receive(e);
    }
  }
}

// ---- ring records (worker → main) -----------------------------------------------------------------

const SEND = 0;
const ASK = 1;
const ITEM = 2;
/** exported for the reader's fast path (host-link): `[REPLY, site, rid, ok, value]` */
export const REPLY = 3;
/** exported for the reader's fast path (host-link): the next item of the open list message */
export const ITEM_AGAIN = 4;

/** An envelope as a ring record: `[SEND, to, from, handles, msg]` or `[ASK, ..., site, rid]`. */
export function envelopeRecord(e: Envelope): unknown[] {
  const from = e.from ?? 0;
  const handles = e.handles === 1 ? 1 : 0;
  return e.ask ? [ASK, e.to, from, handles, e.msg, e.ask.site, e.ask.rid] : [SEND, e.to, from, handles, e.msg];
}

/** Who an item record is for: the header of a list message `{ type, end?, items }`. */
export interface ItemHeader {
  readonly to: string;
  /** the sender, or 0 */
  readonly from: string | 0;
  readonly handles: 0 | 1;
  readonly type: string;
  readonly end: number | null;
}

/**
 * One item of a list message (a queue put, a pipe send) as a ring record:
 * `[ITEM, to, from, handles, type, end, item]`, or `[ITEM_AGAIN, item]` when its header is the one
 * of the ring's last ITEM record (both ends keep it: a burst of puts costs a few bytes each).
 * Main merges consecutive items with the same header into one message, so a burst of puts costs
 * the queue server one turn.
 */
export function itemRecord(header: ItemHeader, item: unknown, again: boolean): unknown[] {
  return again ? [ITEM_AGAIN, item] : [ITEM, header.to, header.from, header.handles, header.type, header.end, item];
}

/** `[ITEM_AGAIN, item]` as JSON text is this head, the item's JSON, then `]`. */
export const ITEM_AGAIN_HEAD = `[${ITEM_AGAIN},`;

export function sameHeader(a: ItemHeader | undefined, to: string, from: string | 0, handles: 0 | 1, type: string, end: number | null): boolean {
  return a !== undefined && a.to === to && a.from === from && a.handles === handles && a.type === type && a.end === end;
}

export function replyRecord(reply: ReplyEnvelope): unknown[] {
  return [REPLY, reply.ask.site, reply.ask.rid, reply.ok, reply.value];
}

/** A plain reply's record as JSON text is this head, its value's JSON, then `]`. */
export function replyRecordHead(reply: ReplyEnvelope): string {
  return '[' + REPLY + ',' + reply.ask.site + ',' + reply.ask.rid + (reply.ok ? ',true,' : ',false,');
}

/** A ring record read back: an envelope, an item of a list message (with its merge key), or a reply. */
export type ReadRecord =
  | { kind: 'envelope'; envelope: Envelope }
  /** `header` is the same object for every item of a run (ITEM_AGAIN) */
  | { kind: 'item'; header: ItemHeader; item: unknown }
  | { kind: 'reply'; reply: ReplyEnvelope };

/** The list message of one item: `{ to, msg: { type, end?, items: [item] }, from?, handles? }`. */
export function itemEnvelope(header: ItemHeader, item: unknown): Envelope {
  const { to, from, handles, type, end } = header;
  const e: Envelope = { to, msg: end === null ? { type, items: [item] } : { type, end, items: [item] } };
  if (from !== 0) e.from = from;
  if (handles === 1) e.handles = 1;
  return e;
}

/**
 * Reads a record of one ring; `last` is that ring's last ITEM header (ITEM_AGAIN refers to it).
 * An ITEM record's header becomes the ring's new `last`: the caller keeps it.
 */
export function readRecord(record: unknown[], last: ItemHeader | undefined): ReadRecord {
  switch (record[0]) {
    case SEND:
    case ASK: {
      const e: Envelope = { to: record[1] as string, msg: record[4] };
      if (record[2] !== 0) e.from = record[2] as string;
      if (record[3] === 1) e.handles = 1;
      if (record[0] === ASK) e.ask = { site: record[5] as number, rid: record[6] as number };
      return { kind: 'envelope', envelope: e };
    }
    case ITEM: {
      const [, to, from, handles, type, end, item] = record as [number, string, string | 0, 0 | 1, string, number | null, unknown];
      return { kind: 'item', header: { to, from, handles, type, end }, item };
    }
    case ITEM_AGAIN:
      if (last === undefined) throw new Error('an ITEM_AGAIN record with no ITEM record before it on its ring');
      return { kind: 'item', header: last, item: record[1] };
    case REPLY:
      return { kind: 'reply', reply: { ask: { site: record[1] as number, rid: record[2] as number }, ok: record[3] as boolean, value: record[4] } };
    default:
      throw new Error(`unknown ring record ${JSON.stringify(record[0])}`);
  }
}

/** An exit reason as it crosses threads (its error serialised). */
export function serializeReason(reason: ExitReason): unknown {
  return reason.error === undefined ? reason : { ...reason, error: serializeError(reason.error) };
}

export function reviveReason(value: unknown): ExitReason {
  const reason = value as ExitReason;
  return reason.error === undefined ? reason : { ...reason, error: reviveError(reason.error) };
}
