/**
 * The one versioned envelope between nodes (DESIGN §10). A frame is a version byte, a format byte
 * and a body: JSON text when the packet is plain JSON data (most messages: cheaper), else v8's
 * structured-clone serialisation (Maps, typed arrays, Dates...). A frame of an unknown version is
 * refused (`decode` throws, the receiver logs it). A frame larger than the server's `max_payload`
 * travels as chunks (`split`), which the receiver joins in order (streams.ts); past MAX_MESSAGE it
 * is refused with SerializationError at the sender, so nothing is dropped on the way.
 */
import { deserialize, serialize } from 'node:v8';
import { SerializationError } from '../errors.js';
import type { AskAddress, Envelope } from '../envelope.js';

export const WIRE_VERSION = 1;
const JSON_FORMAT = 0x4a; // 'J'
const V8_FORMAT = 0x56; // 'V'
/** the largest message one node sends another, in chunks when needed */
export const MAX_MESSAGE = 64 * 1024 * 1024;
/** room left in each NATS message for the protocol's own header */
const CHUNK_SLACK = 1024;

/** Where a packet comes from and which incarnation of its destination it was sent to. */
export interface Origin {
  /** sender node */
  f: string;
  /** sender incarnation */
  i: string;
  /** destination incarnation, as the sender knows it */
  ti: string;
}

/** What is sequenced between two nodes (the order of these is the per-pair FIFO). */
export type Sequenced =
  /** an envelope for an actor; `l`: where the ids among its handles live ([id, node] pairs) */
  | { k: 'm'; e: Envelope; l?: Array<[string, string]> }
  /** the answer to an ask forwarded earlier */
  | { k: 'r'; ask: AskAddress; ok: boolean; value: unknown; clone?: 0 | 1; l?: Array<[string, string]> }
  /** a cluster operation (link, monitor, spawn, stop ...); `c`: a call id when an answer is awaited */
  | { k: 'o'; op: string; args: unknown[]; c?: number; l?: Array<[string, string]> }
  /** the answer to a call */
  | { k: 'c'; c: number; ok: boolean; value: unknown; l?: Array<[string, string]> }
  /** one piece of a frame too big for one NATS message; `last` on the final piece */
  | { k: 'x'; b: Uint8Array; last?: 1 }
  /** packets sent in the same tick, in order, in one NATS message (plain JSON ones) */
  | { k: 'b'; p: Sequenced[] };

/** Packets outside the sequence: acknowledgements and repair. */
export type Control =
  /** everything up to `s` was delivered */
  | { k: 'ack'; s: number }
  /** resend from `s` (a gap was seen) */
  | { k: 'nack'; s: number }
  /** you sent to an incarnation of mine that is gone, or I declared yours down: start again */
  | { k: 'stale' };

export type Packet = Origin & ({ s: number } & Sequenced | Control);

export function encode(packet: Packet, json: boolean): Uint8Array {
  if (json) {
    const text = Buffer.from('..' + JSON.stringify(packet));
    text[0] = WIRE_VERSION;
    text[1] = JSON_FORMAT;
    return text;
  }
  const body = serialize(packet);
  const frame = Buffer.allocUnsafe(body.length + 2);
  frame[0] = WIRE_VERSION;
  frame[1] = V8_FORMAT;
  body.copy(frame, 2);
  return frame;
}

/** A batch frame from packets already turned into JSON text (no second stringify). */
export function encodeBatch(origin: Origin, s: number, parts: readonly string[]): Uint8Array {
  const text = Buffer.from(`..{"f":${JSON.stringify(origin.f)},"i":${JSON.stringify(origin.i)},"ti":${JSON.stringify(origin.ti)},"s":${s},"k":"b","p":[${parts.join(',')}]}`);
  text[0] = WIRE_VERSION;
  text[1] = JSON_FORMAT;
  return text;
}

export class WireVersionError extends Error {}

export function decode(frame: Uint8Array): Packet {
  if (frame.length < 2 || frame[0] !== WIRE_VERSION) {
    throw new WireVersionError(`a frame of wire version ${frame[0] ?? '(empty)'} arrived; this node speaks version ${WIRE_VERSION}: run the same troupe version on every node`);
  }
  const body = Buffer.from(frame.buffer, frame.byteOffset + 2, frame.length - 2);
  if (frame[1] === JSON_FORMAT) return JSON.parse(body.toString('utf8')) as Packet;
  if (frame[1] === V8_FORMAT) return deserialize(body) as Packet;
  throw new WireVersionError(`a frame of unknown format ${frame[1]} arrived`);
}

/** The size a sequenced packet's pieces may have on a server with this `max_payload`. */
export function chunkSize(maxPayload: number): number {
  return Math.max(256, maxPayload - CHUNK_SLACK);
}

/** Splits an encoded frame into chunk bodies; throws SerializationError past MAX_MESSAGE. */
export function split(frame: Uint8Array, size: number): Uint8Array[] {
  if (frame.length > MAX_MESSAGE) {
    throw new SerializationError(`a message of ${frame.length} bytes is over the cluster's limit of ${MAX_MESSAGE} bytes between nodes; send a smaller message, or share the data another way (a file, an object store)`);
  }
  const parts: Uint8Array[] = [];
  // copies: v8 serialises a view with its whole buffer, which would put the frame in every piece
  for (let at = 0; at < frame.length; at += size) parts.push(new Uint8Array(frame.subarray(at, Math.min(frame.length, at + size))));
  return parts;
}
