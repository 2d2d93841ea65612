/**
 * Anchors of DESIGN §9 that only raw Node primitives give (the others are in ./node.ts): a raw
 * postMessage round trip (kept open, so the rows held to it sample it alongside their own), raw
 * postMessage from main to a worker in batches of 64, a raw compare-exchange lock in a worker, and
 * a bare in-thread mailbox (array push + one microtask drain). Each is the limit a troupe row is
 * held to as a ratio in the same run.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { measure, measureAlongside, performance, type MeasureOptions } from '../harness.js';

const workerFile = (name: string): URL => new URL(`./workers/${name}`, import.meta.url);

function nextMessage<T>(worker: Worker): Promise<T> {
  return once(worker, 'message').then(([message]) => message as T);
}

async function withWorker<T>(name: string, fn: (worker: Worker) => Promise<T>): Promise<T> {
  const worker = new Worker(workerFile(name), { execArgv: [] });
  await once(worker, 'online');
  try {
    return await fn(worker);
  } finally {
    await worker.terminate();
  }
}

/** A raw postMessage round trip main ↔ an echo worker, kept open so rows can sample it alongside theirs. */
export interface RoundTrip {
  /** µs per round trip over `n` sequential round trips */
  sample(n?: number): Promise<number>;
  close(): Promise<void>;
}

export async function openRoundTrip(): Promise<RoundTrip> {
  const worker = new Worker(workerFile('echo.mjs'), { execArgv: [] });
  await once(worker, 'online');
  return {
    sample: (n = 5_000) =>
      new Promise<number>((resolve, reject) => {
        let i = 0;
        const t0 = performance.now();
        const onMessage = (): void => {
          if (++i < n) return worker.postMessage(i);
          worker.off('message', onMessage);
          worker.off('error', reject);
          resolve(((performance.now() - t0) / n) * 1e3);
        };
        worker.on('message', onMessage);
        worker.once('error', reject);
        worker.postMessage(0);
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

/**
 * Samples `fn` and a raw postMessage round trip (µs over `n` round trips) in turn: the machine's
 * speed drifts within a run (the round trip moved 27–45 µs within minutes on a 2-core VM), so a
 * row held to the round trip is compared with one measured alongside it. Both medians.
 */
export async function withRoundTrip(fn: () => Promise<number>, n: number, options?: MeasureOptions): Promise<{ value: number; anchor: number }> {
  const roundTrip = await openRoundTrip();
  try {
    return await measureAlongside(fn, () => roundTrip.sample(n), options);
  } finally {
    await roundTrip.close();
  }
}

/** Raw postMessage main → a counting worker in batches of 64, kept open so a row can sample it alongside its own. */
export interface Batched64 {
  /** msgs/s: main posts `n` small messages as arrays of 64, until the worker counted them */
  sample(n?: number): Promise<number>;
  close(): Promise<void>;
}

export async function openBatched64(): Promise<Batched64> {
  const worker = new Worker(workerFile('counter.mjs'), { execArgv: [] });
  await once(worker, 'online');
  return {
    sample: async (n = 200_000) => {
      worker.postMessage({ cmd: 'expect', n });
      await nextMessage(worker);
      const done = nextMessage(worker);
      const t0 = performance.now();
      for (let i = 0; i < n; i += 64) {
        const batch = new Array(Math.min(64, n - i));
        for (let j = 0; j < batch.length; j++) batch[j] = { type: 'ping', i: i + j };
        worker.postMessage(batch);
      }
      await done;
      return n / ((performance.now() - t0) / 1e3);
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

/** msgs/s of raw postMessage main → worker in batches of 64 (the median of 5 samples). */
export async function mainToWorkerBatched64(n = 200_000): Promise<number> {
  const batched = await openBatched64();
  try {
    return await measure(() => batched.sample(n), { runs: 5, warmup: 1 });
  } finally {
    await batched.close();
  }
}

/**
 * Samples `fn` and raw postMessage main → worker in batches of 64 (`n` messages) in turn, as
 * withRoundTrip does for round trips. Both medians.
 */
export async function withBatched64(fn: () => Promise<number>, n: number, options?: MeasureOptions): Promise<{ value: number; anchor: number }> {
  const batched = await openBatched64();
  try {
    return await measureAlongside(fn, () => batched.sample(n), options);
  } finally {
    await batched.close();
  }
}

/** ns per acquire+release of a raw compare-exchange lock on a SharedArrayBuffer word, in a worker. */
export function rawCasLock(n = 5_000_000): Promise<number> {
  return withWorker('cas-lock.mjs', async (worker) =>
    measure(
      async () => {
        worker.postMessage(n);
        return nextMessage<number>(worker);
      },
      { runs: 5, warmup: 1 },
    ),
  );
}

/**
 * The message both the bare mailbox and troupe's same-thread row send: one allocation site, so
 * V8's decision to allocate such objects straight into old space (pretenuring, made per site and
 * per process) is the same for both sides of the ratio.
 */
export function mailboxMessage(i: number): { type: 'm'; i: number } {
  return { type: 'm', i };
}

/**
 * msgs/s into a bare mailbox — the in-thread limit for messages into one actor: `n` sends (array
 * push; the first of a burst schedules one microtask), in bursts of `burst`, each drained by its
 * microtask before the next is sent. With one burst of a million, a million messages are alive at
 * once and the GC (V8's per-process pretenuring decision) weighs as much as the code; with small
 * bursts the messages die young and this measures the mailbox code.
 */
export async function bareMailbox(n: number, burst: number): Promise<number> {
  const mailbox: unknown[] = [];
  let scheduled = false;
  let handled = 0;
  let sum = 0;
  const handler = (message: { i: number }): void => {
    sum += message.i;
    handled++;
  };
  const drain = (): void => {
    scheduled = false;
    for (let i = 0; i < mailbox.length; i++) handler(mailbox[i] as { i: number });
    mailbox.length = 0;
  };
  const send = (message: unknown): void => {
    mailbox.push(message);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(drain);
    }
  };
  const t0 = performance.now();
  for (let i = 0; i < n; ) {
    for (const end = Math.min(n, i + burst); i < end; i++) send(mailboxMessage(i));
    await undefined; // the drain queued by this burst's first send runs first
  }
  if (handled !== n) throw new Error(`bare mailbox drained ${handled} of ${n}`);
  return n / ((performance.now() - t0) / 1e3) + sum * 0;
}
