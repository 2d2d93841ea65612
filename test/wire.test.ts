import { describe, expect, it } from 'vitest';
import type { Envelope, ReplyEnvelope } from '../src/envelope.js';
import { encodeBatch, readBatch } from '../src/wire.js';

/** What a worker gets from a posted batch, in order. */
function read(batch: string | Envelope[]): Array<{ envelope: Envelope } | { reply: [number, boolean, unknown] }> {
  const got: Array<{ envelope: Envelope } | { reply: [number, boolean, unknown] }> = [];
  readBatch(batch, {
    receive: (envelope) => got.push({ envelope }),
    settleReply: (rid, ok, value) => got.push({ reply: [rid, ok, value] }),
  });
  return got;
}

const reply = (rid: number, value: unknown, clone: 0 | 1 = 0): ReplyEnvelope => ({ ask: { site: 3, rid }, ok: true, value, clone });

describe('the JSON batches main posts to a worker', () => {
  it('carries a tick of sends, asks and replies as one string, envelopes first, in order', () => {
    const envelopes: Envelope[] = [
      { to: 'a', msg: { type: 'x', n: 1 } },
      { to: 'a', msg: { type: 'x', n: 2 } },
      { to: 'b', msg: { type: 'y' }, from: 'me', ask: { site: 1, rid: 9 } },
      { to: 'a', msg: 'é ünïcode', from: 'me', handles: 1 },
    ];
    const replies = [reply(4, { items: [1, 2] }), reply(5, undefined, 1), reply(6, null)];
    const text = encodeBatch(envelopes, replies);
    expect(typeof text).toBe('string');
    expect(read(text!)).toEqual([
      { envelope: { to: 'a', msg: { type: 'x', n: 1 } } },
      { envelope: { to: 'a', msg: { type: 'x', n: 2 } } },
      { envelope: { to: 'b', msg: { type: 'y' }, from: 'me', ask: { site: 1, rid: 9 } } },
      { envelope: { to: 'a', msg: 'é ünïcode', from: 'me', handles: 1 } },
      { reply: [4, true, { items: [1, 2] }] },
      // a reply without a value stays undefined (not null)
      { reply: [5, true, undefined] },
      { reply: [6, true, null] },
    ]);
  });

  it('writes a lone ask or a lone reply the same as any batch', () => {
    const ask: Envelope = { to: 'id-1', msg: { type: 'echo', i: 7 }, ask: { site: 2, rid: 11 } };
    expect(read(encodeBatch([ask], [])!)).toEqual([{ envelope: ask }]);
    const send: Envelope = { to: 'id-1', msg: [1, 'two'], from: 'x' };
    expect(read(encodeBatch([send], [])!)).toEqual([{ envelope: send }]);
    expect(read(encodeBatch([], [reply(12, 'done')])!)).toEqual([{ reply: [12, true, 'done'] }]);
  });

  it('leaves to structured clone a tick with anything that is not plain JSON', () => {
    expect(encodeBatch([{ to: 'a', msg: new Map(), clone: 1 }], [reply(1, 2)])).toBeUndefined();
    // a value that is not plain, an error reply, or one whose plainness is unknown
    expect(encodeBatch([], [reply(1, new Date(0), 1)])).toBeUndefined();
    expect(encodeBatch([], [{ ask: { site: 3, rid: 1 }, ok: false, value: { name: 'Error' } }])).toBeUndefined();
    expect(encodeBatch([], [{ ask: { site: 3, rid: 1 }, ok: true, value: 5 }])).toBeUndefined();
    // a batch left as envelopes reads back as they are
    const cloned: Envelope[] = [{ to: 'a', msg: new Map([[1, 2]]), clone: 1 }];
    expect(read(cloned)).toEqual([{ envelope: cloned[0] }]);
  });
});
