/**
 * Queue and Pipe rows of `npm run bench` (called by bench/troupe-rows.ts), mirroring
 * bench/peers/mp_bench.py: a producer process puts 100 000 ints, a consumer gets them all
 * (items/s); a Pipe ping-pong between two processes (µs per round trip). Our "processes" are
 * actors on exclusive workers; the queue itself lives in the main thread.
 */
import { defaultSystem, defineActor, type ActorRef } from 'troupe';
import { Pipe, Queue, type Connection } from 'troupe/multiprocessing';
import { measure, performance, progress } from './harness.js';

const ITEMS = 100_000;
const ROUNDS = 10_000;
const TIMEOUT = 60_000;

export const QueueProducer = defineActor({
  name: 'QueueProducer',
  receive: {
    produce: async (state: null, msg: { q: Queue<number | null>; n: number }, ctx) => {
      for (let i = 0; i < msg.n; i++) await msg.q.put(i);
      await msg.q.put(null);
      ctx.reply(msg.n);
      return state;
    },
  },
});

export const QueueConsumer = defineActor({
  name: 'QueueConsumer',
  receive: {
    consume: async (state: null, msg: { q: Queue<number | null> }, ctx) => {
      let received = 0;
      while ((await msg.q.get()) !== null) received++;
      ctx.reply(received);
      return state;
    },
  },
});

export const PipeEcho = defineActor({
  name: 'PipeEcho',
  receive: {
    echo: async (state: null, msg: { conn: Connection<number | null> }, ctx) => {
      for (;;) {
        const x = await msg.conn.recv();
        if (x === null) break;
        msg.conn.send(x);
      }
      ctx.reply('done');
      return state;
    },
  },
});

async function exclusive(def: Parameters<ReturnType<typeof defaultSystem>['spawn']>[0]): Promise<ActorRef> {
  return defaultSystem().spawn(def, { placement: 'exclusive' });
}

/** items/s through one Queue from a producer worker to a consumer worker (or to main). */
async function throughput(consumerInMain: boolean): Promise<number> {
  const producer = await exclusive(QueueProducer);
  const consumer = consumerInMain ? undefined : await exclusive(QueueConsumer);
  try {
    return await measure(async () => {
      const q = new Queue<number | null>();
      const t0 = performance.now();
      let received: number;
      if (consumer) {
        const consumed = consumer.ask<number>({ type: 'consume', q }, { timeout: TIMEOUT });
        await producer.ask({ type: 'produce', q, n: ITEMS }, { timeout: TIMEOUT });
        received = await consumed;
      } else {
        void producer.ask({ type: 'produce', q, n: ITEMS }, { timeout: TIMEOUT });
        received = 0;
        while ((await q.get()) !== null) received++;
      }
      const seconds = (performance.now() - t0) / 1000;
      if (received !== ITEMS) throw new Error(`consumer got ${received} of ${ITEMS} items`);
      return ITEMS / seconds;
    });
  } finally {
    await Promise.all([producer.stop(), consumer?.stop()]);
  }
}

/** items/s, Queue put→get between two worker processes (peer: Python Queue / SimpleQueue). */
export async function queueThroughput(): Promise<number> {
  const toMain = await throughput(true);
  progress(`troupe:   Queue put→get worker→main: ${Math.round(toMain).toLocaleString('en-US')} items/s`);
  return throughput(false);
}

/** µs per Pipe round trip between main and a worker process (peer: Python Pipe ping-pong). */
export async function pipeRoundTrip(): Promise<number> {
  const echo = await exclusive(PipeEcho);
  try {
    return await measure(async () => {
      const [mine, theirs] = Pipe<number | null>();
      const done = echo.ask({ type: 'echo', conn: theirs }, { timeout: TIMEOUT });
      mine.send(-1);
      await mine.recv();
      const t0 = performance.now();
      for (let i = 0; i < ROUNDS; i++) {
        mine.send(i);
        await mine.recv();
      }
      const us = ((performance.now() - t0) * 1000) / ROUNDS;
      mine.send(null);
      await done;
      return us;
    });
  } finally {
    await echo.stop();
  }
}
