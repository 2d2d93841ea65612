/**
 * A mailbox entry of a cell (cell.ts): a message alone when nothing came with it (a send from
 * outside any actor), else a Letter with its sender's id or, for an ask, its envelope. A plain
 * send in the thread allocates no envelope.
 */
import type { Envelope } from './envelope.js';

/** What came with a message: the sender of a plain local send, or its envelope. */
export type Meta = string | Envelope | undefined;

/** A message with what came with it: its sender's id, or its envelope when it is an ask. */
export class Letter {
  constructor(
    readonly msg: unknown,
    readonly meta: string | Envelope,
  ) {}
}

export function askOf(meta: Meta): Envelope['ask'] {
  return typeof meta === 'object' ? meta.ask : undefined;
}
