import { once } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ValueError, type System } from 'troupe';
import { createSystem } from 'troupe';
import pino from 'pino';
import { ALLOWED, FIRST_SLOT, SPENT } from '../src/hosts/busy-wait.js';
import { freeSpinSlot, spinWords } from '../src/hosts/spin-governor.js';
import { Counter } from './fixtures/actors.js';

const WORKER = new URL('./fixtures/busy-wait-worker.ts', import.meta.url);

type Answer = { i: number; via: 'poll' | 'listener' };

/** Spin words as the governor keeps them (spin-governor.ts): [allowed, µs spent, ...slots]. */
function spinWordsWith(slots: number[], allowed = 1): SharedArrayBuffer {
  const words = new Int32Array(new SharedArrayBuffer(4 * (FIRST_SLOT + slots.length)));
  words[ALLOWED] = allowed;
  words.set(slots, FIRST_SLOT);
  return words.buffer as SharedArrayBuffer;
}

/**
 * A busy-waiting worker on one end of a channel; `post` bumps the post counter as Host.post does.
 * It waits in a slot of `words`, as site 7.
 */
async function busyWorker(windowUs: number, words = spinWordsWith([0])): Promise<{ port: MessagePort; post(message: object, bump?: boolean): void; worker: Worker }> {
  const posts = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  // tsx's hooks first (as the host bootstrap does), then the TypeScript fixture
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER.href)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { port: port2, posts: posts.buffer, windowUs, words, site: 7 }, transferList: [port2] });
  await once(worker, 'online');
  const post = (message: object, bump = true): void => {
    port1.postMessage(message);
    if (bump) Atomics.add(posts, 0, 1);
  };
  return { port: port1, post, worker };
}

function nextAnswer(port: MessagePort): Promise<Answer> {
  return once(port, 'message').then(([answer]) => answer as Answer);
}

describe('a host worker waits awake for main in a quick exchange (src/hosts/busy-wait.ts)', () => {
  it('in an exchange of round trips, the poll takes the messages, each once, in order', async () => {
    const { port, post, worker } = await busyWorker(1000);
    const answers: Answer[] = [];
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const next = nextAnswer(port);
      post(i === n - 1 ? { i, last: true } : { i });
      answers.push(await next);
    }
    await once(worker, 'exit');
    expect(answers.map((a) => a.i)).toEqual(Array.from({ length: n }, (_, i) => i));
    // the first message comes while the worker sleeps; after it, a 1 ms window covers main's
    // turnaround in most round trips (how many depends on the machine's load, so: some)
    expect(answers[0]!.via).toBe('listener');
    expect(answers.filter((a) => a.via === 'poll').length).toBeGreaterThan(0);
  }, 60_000);

  it('a burst taken partly by the poll and partly by the listener keeps the order it was posted in', async () => {
    const { port, post, worker } = await busyWorker(1000);
    const seen: number[] = [];
    const all = new Promise<void>((resolve) =>
      port.on('message', (answer: Answer) => {
        seen.push(answer.i);
        if (seen.length === 5000) resolve();
      }),
    );
    let i = 0;
    for (let burst = 0; burst < 50; burst++) {
      // some posts are not counted (the poll does not see them): they still come, in order
      for (let k = 0; k < 100; k++, i++) post(i === 4999 ? { i, last: true } : { i }, k % 7 !== 3);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await all;
    await once(worker, 'exit');
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, j) => j));
  }, 60_000);

  it('with a window of 0, with every slot taken, or with no core to spare, the worker never polls', async () => {
    const taken = spinWordsWith([99, 99]); // both slots held by (other) site 99
    for (const [windowUs, words] of [[0, spinWordsWith([0])], [1000, taken], [1000, spinWordsWith([0], 0)]] as const) {
      const { port, post, worker } = await busyWorker(windowUs, words);
      const answers: Answer[] = [];
      for (let i = 0; i < 300; i++) {
        const next = nextAnswer(port);
        post(i === 299 ? { i, last: true } : { i });
        answers.push(await next);
      }
      await once(worker, 'exit');
      expect(answers.every((a) => a.via === 'listener')).toBe(true);
      expect(answers.map((a) => a.i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(new Int32Array(words)[SPENT]).toBe(0);
    }
    expect([...new Int32Array(taken).subarray(FIRST_SLOT)]).toEqual([99, 99]);
  }, 60_000);

  it('a waiting host gives its slot back and reports the time it spent; a host that ended has its slot freed by main', async () => {
    const words = spinWordsWith([0]);
    const { port, post, worker } = await busyWorker(1000, words);
    for (let i = 0; i < 200; i++) {
      const next = nextAnswer(port);
      post(i === 199 ? { i, last: true } : { i });
      await next;
    }
    await once(worker, 'exit');
    expect(new Int32Array(words)[FIRST_SLOT]).toBe(0);
    // the governor counts the time spent waiting as spare (it was given up at once)
    expect(new Int32Array(words)[SPENT]).toBeGreaterThan(0);
    // a worker terminated while it waited leaves its site in the slot: main frees it at its end
    const shared = new Int32Array(spinWords());
    if (shared.length > FIRST_SLOT) {
      const site = 1_000_000 + process.pid;
      expect(Atomics.compareExchange(shared, FIRST_SLOT, 0, site)).toBe(0);
      freeSpinSlot(site + 1); // another host's end leaves it alone
      expect(shared[FIRST_SLOT]).toBe(site);
      freeSpinSlot(site);
      expect(shared[FIRST_SLOT]).toBe(0);
    }
  }, 60_000);
});

describe('createSystem({ spin })', () => {
  let system: System | undefined;
  afterEach(async () => {
    await system?.shutdown();
    system = undefined;
  });

  it('asks and sends to a worker actor keep their order whatever the window', async () => {
    for (const spin of [0, 50, 1000]) {
      system = await createSystem({ hosts: 1, spin, logger: pino({ level: 'silent' }) });
      const counter = await system.spawn(Counter, { placement: 'shared' });
      let expected = 0;
      for (let i = 0; i < 500; i++) {
        counter.send({ type: 'inc', by: i });
        expected += i;
        if (i % 3 === 0) expect(await counter.ask<number>({ type: 'get' })).toBe(expected);
      }
      expect(await counter.ask<number>({ type: 'get' })).toBe(expected);
      await system.shutdown();
      system = undefined;
    }
  }, 60_000);

  it('refuses a window that is not a number of µs from 0 to 1000, and creates nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.double({ max: -Number.MIN_VALUE }), fc.double({ min: 1000.000001, noNaN: true }), fc.constant(Number.NaN), fc.string(), fc.constant(null), fc.boolean()),
        async (spin) => {
          await expect(createSystem({ spin: spin as number })).rejects.toThrow(ValueError);
          await expect(createSystem({ spin: spin as number })).rejects.toThrow(/createSystem\(\{ spin \}\) must be a number of µs from 0 \(never\) to 1000/);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('takes its default from TROUPE_SPIN_US, and refuses a bad one with a message that names it', async () => {
    const before = process.env.TROUPE_SPIN_US;
    try {
      process.env.TROUPE_SPIN_US = 'fast';
      await expect(createSystem({ hosts: 1 })).rejects.toThrow(/TROUPE_SPIN_US must be a number of µs from 0 \(never\) to 1000 \(got "fast"\)/);
      // an explicit window wins over the environment
      system = await createSystem({ hosts: 1, spin: 0, logger: pino({ level: 'silent' }) });
      const counter = await system.spawn(Counter, { placement: 'shared' });
      expect(await counter.ask<number>({ type: 'get' })).toBe(0);
      await system.shutdown();
      process.env.TROUPE_SPIN_US = '0';
      system = await createSystem({ hosts: 1, logger: pino({ level: 'silent' }) });
      const other = await system.spawn(Counter, { placement: 'shared' });
      expect(await other.ask<number>({ type: 'get' })).toBe(0);
    } finally {
      if (before === undefined) delete process.env.TROUPE_SPIN_US;
      else process.env.TROUPE_SPIN_US = before;
    }
  }, 60_000);
});
