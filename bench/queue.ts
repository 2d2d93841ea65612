/**
 * Queue and Pipe rows of `npm run bench` (called by bench/troupe-rows.ts), mirroring
 * bench/peers/mp_bench.py with real Processes: a producer Process puts 100 000 ints that main
 * gets (items/s); a Pipe ping-pong between main and an echo Process (µs per round trip).
 */
import { Pipe, Process, Queue } from 'troupe/multiprocessing';
import { measure, performance } from './harness.js';
import { pipeEcho, queueProducer } from './mp-targets.js';

const ITEMS = 100_000;
const ROUNDS = 10_000;

/**
 * items/s: Queue put→get, a producer Process → main (peer: Python Queue, SimpleQueue). Three
 * unmeasured samples first: the producer runs on either worker of the pool, and the first three
 * samples (300k items) ran at 1.6-1.9 M items/s, the rest at 3.5-4.3 M, while the JIT of both
 * workers and of main's reader settled.
 */
export async function queueThroughput(): Promise<number> {
  return measure(async () => {
    const q = new Queue<number | null>();
    const producer = new Process({ target: queueProducer, args: [q, ITEMS] });
    producer.start();
    // the first item marks the producer as running (Python's bench starts it behind an Event)
    if ((await q.get()) !== 0) throw new Error('the first item was not 0');
    const t0 = performance.now();
    let received = 1;
    while ((await q.get()) !== null) received++;
    const seconds = (performance.now() - t0) / 1000;
    await producer.join();
    if (received !== ITEMS) throw new Error(`main got ${received} of ${ITEMS} items`);
    return (ITEMS - 1) / seconds;
  }, { runs: 5, warmup: 3 });
}

/** One sample of µs per round trip: a Pipe between main and an echo Process (peer: Python Pipe ping-pong). */
export async function pipeRoundTripSample(): Promise<number> {
  const [mine, theirs] = Pipe<number | null>();
  const echo = new Process({ target: pipeEcho, args: [theirs] });
  echo.start();
  theirs.close();
  for (let i = 0; i < 100; i++) {
    mine.send(-1);
    await mine.recv();
  }
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    mine.send(i);
    await mine.recv();
  }
  const us = ((performance.now() - t0) * 1000) / ROUNDS;
  mine.send(null);
  await echo.join();
  return us;
}
