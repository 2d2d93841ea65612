/**
 * The wire codec: how envelopes, exit reasons and errors cross threads. A batch of envelopes whose
 * messages are all plain JSON data becomes one JSON string (cheaper to post than a structured
 * clone of many objects), with runs of one-way messages between the same sender and target
 * sharing one header. This file is the only one that knows that compact form.
 */
import type { Envelope } from './envelope.js';
import { reviveError, serializeError } from './errors.js';
import type { ExitReason } from './types.js';

/** A posted batch: the envelopes themselves (structured clone) or their compact JSON form. */
export type WireBatch = Envelope[] | string;

type Group = [to: string, from: string | 0, handles: 0 | 1, msg: unknown, site?: number, rid?: number];

/**
 * `[[to, from, handles, [m1, m2, ...]] | [to, from, handles, m, site, rid], ...]` when every message
 * is plain JSON; else the envelopes as they are.
 */
export function encodeBatch(envelopes: Envelope[]): WireBatch {
  for (let i = 0; i < envelopes.length; i++) if (envelopes[i]!.clone === 1) return envelopes;
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
  return JSON.stringify(groups);
}

export function decodeBatch(batch: WireBatch): Envelope[] {
  if (typeof batch !== 'string') return batch;
  const groups = JSON.parse(batch) as Group[];
  const out: Envelope[] = [];
  for (const group of groups) {
    const [to, from, handles] = group;
    if (group.length === 6) {
      const e: Envelope = { to, msg: group[3], ask: { site: group[4]!, rid: group[5]! } };
      if (from !== 0) e.from = from;
      if (handles === 1) e.handles = 1;
      out.push(e);
      continue;
    }
    for (const msg of group[3] as unknown[]) {
      const e: Envelope = from === 0 ? { to, msg } : { to, msg, from };
      if (handles === 1) e.handles = 1;
      out.push(e);
    }
  }
  return out;
}

/** An exit reason as it crosses threads (its error serialised). */
export function serializeReason(reason: ExitReason): unknown {
  return reason.error === undefined ? reason : { ...reason, error: serializeError(reason.error) };
}

export function reviveReason(value: unknown): ExitReason {
  const reason = value as ExitReason;
  return reason.error === undefined ? reason : { ...reason, error: reviveError(reason.error) };
}
