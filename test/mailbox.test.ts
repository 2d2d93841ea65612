import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { defineActor, NoProcError, type ActorContext, type System } from 'troupe';
import { Mailbox } from '../src/mailbox.js';
import { testSystem } from './helpers.js';

describe('the mailbox ring', () => {
  it('gives back what was pushed, oldest first, whatever the interleaving of pushes and takes', () => {
    // a run of pushes then a run of takes, repeated: the ring grows, wraps and shrinks back
    const step = fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const mailbox = new Mailbox();
        const model: number[] = [];
        let next = 0;
        for (const [pushes, takes] of steps) {
          for (let i = 0; i < pushes; i++) {
            mailbox.push(next);
            model.push(next++);
          }
          for (let i = 0; i < takes && model.length > 0; i++) expect(mailbox.shift()).toBe(model.shift());
          expect(mailbox.size).toBe(model.length);
        }
        expect(mailbox.takeAll()).toEqual(model);
        expect(mailbox.size).toBe(0);
      }),
    );
  });

  it('keeps no handled message reachable', () => {
    const mailbox = new Mailbox();
    for (let i = 0; i < 100; i++) mailbox.push({ i });
    for (let i = 0; i < 60; i++) mailbox.shift();
    const slots = (mailbox as unknown as { slots: unknown[] }).slots;
    expect(slots.filter((slot) => slot !== undefined)).toHaveLength(40);
    mailbox.takeAll();
    // a large ring is dropped once empty; an idle actor keeps at most a small one
    expect((mailbox as unknown as { slots: unknown[] }).slots.length).toBeLessThanOrEqual(16);
  });
});

interface LogState {
  seen: number[];
}

/** Records every `n` it is sent; `more` sends itself further messages from inside a turn. */
const Log = defineActor({
  name: 'Log',
  init: (): LogState => ({ seen: [] }),
  receive: {
    n: (state: LogState, msg: { n: number }) => {
      state.seen.push(msg.n);
      return state;
    },
    more: (state: LogState, msg: { from: number; count: number }, ctx: ActorContext) => {
      for (let i = 0; i < msg.count; i++) ctx.self.send({ type: 'n', n: msg.from + i });
      return state;
    },
    seen: (state: LogState, _msg: unknown, ctx: ActorContext) => {
      ctx.reply(state.seen);
      return state;
    },
    stop: (state: LogState, _msg: unknown, ctx: ActorContext) => {
      ctx.stop();
      return state;
    },
  },
});

let system: System | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('an actor in main fed in bursts', () => {
  it('handles a burst far larger than its ring in order, with sends it makes to itself while draining', { timeout: 20_000 }, async () => {
    system = await testSystem();
    const log = await system.spawn(Log, { placement: 'main' });
    const expected: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      log.send({ type: 'n', n: i });
      expected.push(i);
      if (i === 20_000) log.send({ type: 'more', from: 1_000_000, count: 5_000 });
    }
    // the self-sends join the mailbox behind everything main sent before they were made
    for (let i = 0; i < 5_000; i++) expected.push(1_000_000 + i);
    expect(await log.ask({ type: 'seen' }, { timeout: 15_000 })).toEqual(expected);
  });

  it('answers every ask still queued with NoProcError when it stops with a full mailbox', async () => {
    system = await testSystem();
    const log = await system.spawn(Log, { placement: 'main' });
    for (let i = 0; i < 100; i++) log.send({ type: 'n', n: i });
    log.send({ type: 'stop' });
    const asks = Array.from({ length: 40 }, () => log.ask({ type: 'seen' }));
    const results = await Promise.allSettled(asks);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof NoProcError)).toBe(true);
    expect((await log.exited).kind).toBe('normal');
  });
});
