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

async function startWorker(name: string): Promise<Worker> {
  const worker = new Worker(workerFile(name), { execArgv: [] });
  await once(worker, 'online');
  return worker;
}

async function withWorker<T>(name: string, fn: (worker: Worker) => Promise<T>): Promise<T> {
  const worker = await startWorker(name);
  try {
    return await fn(worker);
  } finally {
    await worker.terminate();
  }
}

/** An anchor kept open (its worker up), so a row can sample it alongside its own samples. */
export interface OpenAnchor {
  sample(n?: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Samples `fn` and `anchor` (`n` operations a sample) in turn, then closes the anchor: the
 * machine's speed drifts within a run (the round trip moved 27–45 µs within minutes on a 2-core
 * VM), so a row is compared with an anchor measured alongside it. Both medians.
 */
async function alongside(anchor: OpenAnchor, fn: () => Promise<number>, n: number, options?: MeasureOptions): Promise<{ value: number; anchor: number }> {
  try {
    return await measureAlongside(fn, () => anchor.sample(n), options);
  } finally {
    await anchor.close();
  }
}

/** A raw postMessage round trip main ↔ an echo worker: µs per round trip over `n` sequential ones. */
export async function openRoundTrip(): Promise<OpenAnchor> {
  const worker = await startWorker('echo.mjs');
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
    close: () => worker.terminate().then(() => undefined),
  };
}

/** `fn` sampled alongside a raw postMessage round trip of `n` round trips (see alongside). */
export async function withRoundTrip(fn: () => Promise<number>, n: number, options?: MeasureOptions): Promise<{ value: number; anchor: number }> {
  return alongside(await openRoundTrip(), fn, n, options);
}

/** Raw postMessage main → a counting worker: msgs/s of `n` small messages posted as arrays of 64. */
export async function openBatched64(): Promise<OpenAnchor> {
  const worker = await startWorker('counter.mjs');
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
    close: () => worker.terminate().then(() => undefined),
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

/** `fn` sampled alongside raw postMessage main → worker in batches of 64, `n` messages a sample. */
export async function withBatched64(fn: () => Promise<number>, n: number, options?: MeasureOptions): Promise<{ value: number; anchor: number }> {
  return alongside(await openBatched64(), fn, n, options);
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
