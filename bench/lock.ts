/**
 * Lock rows of `npm run bench` (called by bench/troupe-rows.ts), mirroring bench/peers/mp_bench.py:
 * uncontended acquire+release in a worker (ns, awaited: one compare-and-swap each way), and
 * ownership passing strictly alternately between two workers through two Locks used as a
 * ping-pong pair, as Python's benchmark does (handoffs/s: the waiter is parked on the lock word,
 * so a handoff is one Atomics.notify, no message). Our "processes" are actors on exclusive workers.
 */
import { defaultSystem, defineActor, type ActorRef } from 'troupe';
import { Lock } from 'troupe/multiprocessing';
import { measure, performance, progress } from './harness.js';

const UNCONTENDED = 1_000_000;
const ROUNDS = 10_000;
const TIMEOUT = 60_000;

interface Pair {
  a: Lock;
  b: Lock;
}

/** Answers an ask when `work` settles, keeping the actor free meanwhile. */
function later(ctx: { deferReply?(): ((ok: boolean, value: unknown) => void) | undefined }, work: () => Promise<unknown>): void {
  const reply = ctx.deferReply!()!;
  work().then(
    (value) => reply(true, value),
    (error) => reply(false, error),
  );
}

export const LockLoop = defineActor({
  name: 'LockLoop',
  receive: {
    /** ns per awaited acquire() + release() of a free lock */
    uncontended: (state: null, msg: { lock: Lock; n: number }, ctx) => {
      later(ctx, async () => {
        const { lock, n } = msg;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          await lock.acquire();
          lock.release();
        }
        return ((performance.now() - t0) * 1e6) / n;
      });
      return state;
    },
  },
});

/** One side of Python's ping-pong: the leader releases `a` and takes `b`, the partner the reverse. */
export const LockPlayer = defineActor({
  name: 'LockPlayer',
  receive: {
    hold: (state: null, msg: Pair, ctx) => {
      later(ctx, async () => {
        await msg.a.acquire();
        await msg.b.acquire();
      });
      return state;
    },
    partner: (state: null, msg: Pair & { rounds: number }, ctx) => {
      later(ctx, async () => {
        for (let i = 0; i < msg.rounds; i++) {
          await msg.a.acquire();
          msg.b.release();
        }
      });
      return state;
    },
    lead: (state: null, msg: Pair & { rounds: number }, ctx) => {
      later(ctx, async () => {
        const t0 = performance.now();
        for (let i = 0; i < msg.rounds; i++) {
          msg.a.release();
          await msg.b.acquire();
        }
        return (2 * msg.rounds) / ((performance.now() - t0) / 1000);
      });
      return state;
    },
  },
});

async function stopAll(refs: ActorRef[]): Promise<void> {
  await Promise.all(refs.map((ref) => ref.stop().catch(() => {})));
}

/**
 * ns per acquire+release of an uncontended Lock, awaited, in a worker.
 * Peer: Python `multiprocessing.Lock` (1M iterations per sample).
 */
export async function lockUncontended(): Promise<number> {
  const system = defaultSystem();
  const loop = await system.spawn(LockLoop, { placement: 'exclusive' });
  try {
    const lock = new Lock();
    return await measure(() => loop.ask<number>({ type: 'uncontended', lock, n: UNCONTENDED }, { timeout: TIMEOUT }), { runs: 5 });
  } finally {
    await stopAll([loop]);
  }
}

/**
 * handoffs/s between two workers alternating strictly (two Locks as a ping-pong pair).
 * Peer: Python, the same pair of Locks between two processes.
 */
export async function lockHandoffs(): Promise<number> {
  const system = defaultSystem();
  const [leader, partner] = await Promise.all([
    system.spawn(LockPlayer, { placement: 'exclusive' }),
    system.spawn(LockPlayer, { placement: 'exclusive' }),
  ]);
  try {
    return await measure(
      async () => {
        const pair: Pair = { a: new Lock(), b: new Lock() };
        await leader.ask({ type: 'hold', ...pair }, { timeout: TIMEOUT });
        const partnerDone = partner.ask({ type: 'partner', ...pair, rounds: ROUNDS }, { timeout: TIMEOUT });
        const rate = await leader.ask<number>({ type: 'lead', ...pair, rounds: ROUNDS }, { timeout: TIMEOUT });
        await partnerDone;
        return rate;
      },
      { runs: 5 },
    );
  } catch (error) {
    progress(`lock handoffs failed: ${(error as Error).message}`);
    throw error;
  } finally {
    await stopAll([leader, partner]);
  }
}
