/**
 * troupe's side of `npm run bench`.
 *
 * Each function measures one troupe metric and resolves to a number in the
 * unit given in its doc comment, or `undefined` while not implemented (the
 * table then prints `n/a`). bench/index.ts calls them one at a time, after all
 * peers ran, each with a time limit (see TROUPE_TIMEOUT_MS there); a throw or a
 * timeout also prints `n/a`.
 *
 * Rules so the comparison with the peers stays fair:
 * - return the median of >= 5 samples: use `measure(fn, { runs: 5 })` from
 *   ./harness.js (one unmeasured warm-up by default); time with
 *   `performance.now()`.
 * - sizes: keep each function well under ~10 s on 2 cores.
 * - clean up: stop every actor / terminate every worker before resolving, so
 *   the bench process exits by itself.
 * - the peer each value is compared against is named in the doc comment;
 *   mirror its workload (see bench/peers/node.ts and bench/peers/mp_bench.py).
 *
 * Only the public API is used (`troupe`, `troupe/multiprocessing`, resolved to
 * the built dist/ through package exports). Actors that run in workers are
 * defined in ./actors.ts. Queue/Pipe, Lock, Pool and restart rows live in
 * their own modules (./queue.ts, ./lock.ts, ./pool.ts, ./restart.ts, ./shared-state.ts) and are
 * loaded only if present. Extra numbers that have no table row (other
 * placements, other directions) are printed as progress lines on stderr.
 */
import { createSystem, defaultSystem, type ActorDefinition, type ActorRef, type CreateSystemOptions, type Placement, type System } from 'troupe';
import { Asker, Echo, Idle, Pinger, Ponger, Sink, Source, Spawner } from './actors.js';
import { bareMailbox, mailboxMessage, withBatched64, withRoundTrip } from './peers/anchors.js';
import { delegate, extra, getGc, heapBytesPerItem, measure, median, performance, type MeasureOptions } from './harness.js';
import { pipeRoundTripSample } from './queue.js';

/** Workload sizes, mirroring bench/peers/node.ts where a peer exists. */
const N = {
  /** the JIT settles only after ~2,000 starts (each start runs its code once per thread) */
  processWarmup: 2_000,
  processStarts: 200,
  spawn: 10_000,
  /** spawns onto a shared host cross threads (~100+ µs each today): fewer, to stay within time */
  spawnShared: 1_000,
  pingPong: 100_000,
  inThread: 1_000_000,
  oneWay: 200_000,
  rtt: 5_000,
};

/** A generous ask timeout for a whole sample (the default 5 s could cut a slow sample short). */
const SAMPLE_TIMEOUT = 60_000;

/** The anchor each row measured alongside its own samples, by row (bench/index.ts prefers these). */
const anchors: Partial<Record<string, number>> = {};

export function lastAnchors(): Readonly<Partial<Record<string, number>>> {
  return anchors;
}

/** Samples `fn` alongside a raw postMessage round trip (see withRoundTrip); records the anchor for `row`. */
async function alongsideRoundTrip(row: string, fn: () => Promise<number>, options?: MeasureOptions): Promise<number> {
  const { value, anchor } = await withRoundTrip(fn, N.rtt, options);
  anchors[row] = anchor;
  return value;
}

async function withSystem<T>(options: CreateSystemOptions, fn: (system: System) => Promise<T>): Promise<T> {
  const system = await createSystem({ name: 'bench', ...options });
  try {
    return await fn(system);
  } finally {
    await system.shutdown();
  }
}

/** The worker thread an actor runs in (each bench actor answers `where` with its threadId). */
function threadOf(ref: ActorRef): Promise<number> {
  return ref.ask<number>({ type: 'where' });
}

/** Spawns two shared actors on a 2-host system and checks they landed on different workers. */
async function onTwoWorkers(system: System, defA: ActorDefinition, defB: ActorDefinition): Promise<[ActorRef, ActorRef]> {
  const a = await system.spawn(defA, { placement: 'shared' });
  const b = await system.spawn(defB, { placement: 'shared' });
  const [ta, tb] = await Promise.all([threadOf(a), threadOf(b)]);
  if (ta === tb || ta === 0 || tb === 0) throw new Error(`expected two different worker threads, got threadIds ${ta} and ${tb}`);
  return [a, b];
}

async function stopAll(refs: readonly ActorRef[]): Promise<void> {
  await Promise.all(refs.map((ref) => ref.stop()));
}

/**
 * ms per process: troupe `Process(noop).start()` → `join()`.
 * Peers: Python Process start→join (fork / forkserver / spawn), tinypool and
 * piscina `run()` round trip, `new Worker` start→exit.
 *
 * Sequential, on the default system's warm pool, with warm code: 2,000 unmeasured processes first
 * (about 0.2 s; the anchor's code is warm too), then 200 processes per sample. The target is a self-contained arrow function (travels as source).
 */
export async function processStartJoin(): Promise<number | undefined> {
  const { Process } = await import('troupe/multiprocessing');
  const noop = () => {};
  const one = async (): Promise<void> => {
    const p = new Process({ target: noop });
    p.start();
    await p.join();
    if (p.exitcode !== 0) throw new Error(`no-op process ended with exitcode ${p.exitcode}`);
  };
  try {
    for (let i = 0; i < N.processWarmup; i++) await one();
    return await alongsideRoundTrip(
      'processStartJoin',
      async () => {
        const t0 = performance.now();
        for (let i = 0; i < N.processStarts; i++) await one();
        return (performance.now() - t0) / N.processStarts;
      },
      { runs: 5, warmup: 0 },
    );
  } finally {
    await defaultSystem().shutdown();
  }
}

/** µs per actor: `n` spawns of Idle in flight at once from main, all awaited. */
async function spawnBurst(system: System, placement: Placement, n: number): Promise<number> {
  const spawns = new Array<Promise<ActorRef>>(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) spawns[i] = system.spawn(Idle, { placement });
  const refs = await Promise.all(spawns);
  const us = ((performance.now() - t0) / n) * 1e3;
  await stopAll(refs);
  return us;
}

/**
 * µs per actor: spawn + start of an idle actor in the current thread.
 * Peer: xstate `createActor(machine).start()` (10k actors per sample).
 *
 * The row: `system.spawn(Idle, { placement: 'main' })`, 10k spawns in flight per sample, timed
 * until every ref resolved. Also logged: the same awaited one at a time; 1k spawns from main onto a
 * shared host; 1k `ctx.spawn(..., { placement: 'shared' })` made by an actor inside that host (each
 * is a kernel call through main, which places the child back on the host).
 */
export async function actorSpawn(): Promise<number | undefined> {
  // A 10k-spawn burst keeps the host's event loop busy without a timer turn, so its heartbeat
  // stops for a while; on a loaded 2-core box that can exceed the default 2 s watchdog, which then
  // recycles a host that is working, not hung. This row measures spawn cost, so it allows 30 s.
  return withSystem({ hosts: 1, watchdog: 30_000 }, async (system) => {
    const n = N.spawn;
    const inMain = await measure(() => spawnBurst(system, 'main', n), { runs: 5, warmup: 1 });
    await extra('actor spawn, main, awaited one at a time', 'µs/actor', () =>
      measure(
        async () => {
          const refs = new Array<ActorRef>(n);
          const t0 = performance.now();
          for (let i = 0; i < n; i++) refs[i] = await system.spawn(Idle, { placement: 'main' });
          const us = ((performance.now() - t0) / n) * 1e3;
          await stopAll(refs);
          return us;
        },
        { runs: 5, warmup: 1 },
      ),
    );
    const m = N.spawnShared;
    await extra(`actor spawn onto a shared host, from main (${m} per sample)`, 'µs/actor', () => measure(() => spawnBurst(system, 'shared', m), { runs: 5, warmup: 1 }));
    await extra(`actor spawn from an actor in a shared host (ctx.spawn, shared, via main; ${m} per sample)`, 'µs/actor', async () => {
      const spawner = await system.spawn(Spawner, { placement: 'shared' });
      try {
        return await measure(
          async () => {
            const { ms, refs } = await spawner.ask<{ ms: number; refs: ActorRef[] }>({ type: 'spawnMany', n: m, placement: 'shared' }, { timeout: SAMPLE_TIMEOUT });
            await stopAll(refs);
            return (ms / m) * 1e3;
          },
          { runs: 5, warmup: 1 },
        );
      } finally {
        await spawner.stop();
      }
    });
    return inMain;
  });
}

/**
 * bytes per idle, started actor (retained JS heap).
 * Peer: xstate idle actor. Measure the same way: `heapBytesPerItem(create,
 * getGc() ? 20_000 : 100_000, dispose)` from ./harness.js.
 *
 * Idle actors with placement 'main'; the ref returned by spawn is what the harness keeps alive.
 */
export async function actorMemory(): Promise<number | undefined> {
  return withSystem({ hosts: 1 }, async (system) => {
    const count = getGc() ? 20_000 : 100_000;
    return measure(
      () =>
        heapBytesPerItem(
          () => system.spawn(Idle, { placement: 'main' }),
          count,
          (refs) => stopAll(refs),
        ),
      { runs: 5, warmup: 1 },
    );
  });
}

/** msgs/s of a Pinger/Ponger pair with `placement`, timed by the Pinger in its own thread. */
async function pingPong(system: System, placement: Placement): Promise<number> {
  const pinger = await system.spawn(Pinger, { placement });
  const ponger = await system.spawn(Ponger, { placement, args: [pinger] });
  try {
    return await measure(
      async () => {
        const ms = await pinger.ask<number>({ type: 'go', peer: ponger, limit: N.pingPong / 2 }, { timeout: SAMPLE_TIMEOUT });
        return N.pingPong / (ms / 1e3);
      },
      { runs: 5, warmup: 1 },
    );
  } finally {
    await stopAll([pinger, ponger]);
  }
}

/**
 * msgs/s: `n` one-way sends from main into one Sink actor, timed until it has handled them all;
 * sent in bursts of `burst` with a microtask between them (as bareMailbox), by default one.
 */
async function sendInto(sink: ActorRef, n: number, burst = n): Promise<number> {
  await sink.ask({ type: 'expect', n });
  const t0 = performance.now();
  const done = sink.ask({ type: 'wait' }, { timeout: SAMPLE_TIMEOUT });
  for (let i = 0; i < n; ) {
    for (const end = Math.min(n, i + burst); i < end; i++) sink.send(mailboxMessage(i));
    await undefined;
  }
  await done;
  return n / ((performance.now() - t0) / 1e3);
}

/**
 * Runs troupe and the bare mailbox alternately, `runs` each after one warm-up of each, so both
 * see the same heap (a million live messages make the GC weigh as much as the code); returns
 * the two medians.
 */
async function alternately(sink: ActorRef, burst: number, runs: number): Promise<{ troupe: number; bare: number }> {
  const troupe: number[] = [];
  const bare: number[] = [];
  for (let run = 0; run <= runs; run++) {
    const b = await bareMailbox(N.inThread, burst);
    const t = await sendInto(sink, N.inThread, burst);
    if (run > 0) bare.push(b), troupe.push(t);
  }
  return { troupe: median(troupe), bare: median(bare) };
}

/**
 * msgs/s into one actor in the same thread: main sends 1M messages to a Sink placed in main,
 * timed until the Sink handled the last one. Anchor: a bare mailbox (array push + one microtask
 * drain), measured in alternation with it (lastAnchors). Also logged: the same in bursts
 * of 1,000 (messages die young: the code alone), and Pinger/Ponger ping-pong in main and on a
 * shared host.
 */
export async function inThreadMsgs(): Promise<number | undefined> {
  return withSystem({ hosts: 1 }, async (system) => {
    const sink = await system.spawn(Sink, { placement: 'main' });
    try {
      const { troupe, bare } = await alternately(sink, N.inThread, 5);
      anchors.inThreadMsgs = bare;
      await extra('same-thread sends in bursts of 1,000 (no GC pressure: the code alone), ratio to a bare mailbox fed the same way', '×', async () => {
        const bursts = await alternately(sink, 1_000, 5);
        return bursts.troupe / bursts.bare;
      });
      await extra('in-thread ping-pong, both actors in main', 'msgs/s', () => pingPong(system, 'main'));
      await extra('in-thread ping-pong, both actors on one shared host worker', 'msgs/s', () => pingPong(system, 'shared'));
      return troupe;
    } finally {
      await sink.stop();
    }
  });
}

/**
 * msgs/s main → an actor on a worker, one way: 200k `send`s from main to a Sink on a shared
 * host, timed until it counted them all. Anchor: raw postMessage main → worker in batches of 64,
 * sampled alongside (one sample of each in turn: the machine's speed drifts within a run).
 * Also logged: worker → worker (a Source actor's loop of sends to a Sink on another host).
 */
export async function mainToWorkerMsgs(): Promise<number | undefined> {
  return withSystem({ hosts: 2 }, async (system) => {
    const [source, sink] = await onTwoWorkers(system, Source, Sink);
    const n = N.oneWay;
    // two unmeasured samples of each: the second of a process still ran at 0.6-0.7x of the later ones
    const { value: rate, anchor } = await withBatched64(() => sendInto(sink, n), n, { runs: 5, warmup: 2 });
    anchors.mainToWorkerMsgs = anchor;
    await extra('one-way sends worker → worker (through main)', 'msgs/s', () =>
      measure(
        async () => {
          await sink.ask({ type: 'expect', n });
          const t0 = performance.now();
          const done = sink.ask({ type: 'wait' }, { timeout: SAMPLE_TIMEOUT });
          source.send({ type: 'blast', to: sink, n });
          await done;
          return n / ((performance.now() - t0) / 1e3);
        },
        { runs: 5, warmup: 1 },
      ),
    );
    return rate;
  });
}

/**
 * µs per ask round trip, main ↔ an actor on a worker (5k sequential asks). Anchor: raw
 * postMessage round trip main ↔ worker. Also logged: worker ↔ worker (through main).
 */
export async function askRoundTrip(): Promise<number | undefined> {
  return withSystem({ hosts: 2 }, async (system) => {
    const [asker, echo] = await onTwoWorkers(system, Asker, Echo);
    const n = N.rtt;
    const fromMain = await alongsideRoundTrip(
      'askRoundTrip',
      async () => {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await echo.ask({ type: 'echo', i });
        return ((performance.now() - t0) / n) * 1e3;
      },
      { runs: 5, warmup: 1 },
    );
    await extra('ask round trip, worker → worker actor (through main)', 'µs', () =>
      measure(
        async () => {
          const ms = await asker.ask<number>({ type: 'run', to: echo, n }, { timeout: SAMPLE_TIMEOUT });
          return (ms / n) * 1e3;
        },
        { runs: 5, warmup: 1 },
      ),
    );
    return fromMain;
  });
}

/**
 * items/s: Queue put → get, a producer Process → main (100k small ints per sample).
 * Peers: Python `Queue`, `SimpleQueue`, `Pipe` one-way (same script).
 */
export async function queueThroughput(): Promise<number | undefined> {
  return delegate('queue', 'queueThroughput');
}

/**
 * µs per round trip: `Pipe()` ping-pong between main and an echo Process.
 * Anchor: raw postMessage round trip; peer: Python `Pipe` ping-pong.
 */
export async function pipeRoundTrip(): Promise<number | undefined> {
  return alongsideRoundTrip('pipeRoundTrip', pipeRoundTripSample);
}

/**
 * ns per acquire+release of an uncontended `Lock` inside a Process (1M per sample).
 * Anchor: a raw compare-exchange lock in a worker; peer: Python `Lock`.
 */
export async function lockUncontended(): Promise<number | undefined> {
  return delegate('lock', 'lockUncontended');
}

/**
 * acquisitions/s: two Processes looping acquire/release on one `Lock`, 200k each, from a barrier
 * to the last join. Peer: Python's same loop (a futex: long runs by one holder).
 */
export async function lockLoop(): Promise<number | undefined> {
  return delegate('lock', 'lockLoop');
}

/**
 * tasks/s: troupe `Pool(2).map(tiny, range(20_000), chunksize=1)`.
 * Peers: Python `Pool(2).map` chunksize=1; tinypool and piscina (2 threads,
 * 20k no-op tasks in flight).
 */
export async function poolMap(): Promise<number | undefined> {
  return delegate('pool', 'poolMap');
}

/**
 * ops/s: 4 Processes incrementing a `Value('i')` under `getLock()`, 10k each, timed from a
 * barrier all four passed to the last join. Peer: Python's same script (fork).
 */
export async function valueIncrements(): Promise<number | undefined> {
  return delegate('shared-state', 'valueIncrements');
}

/**
 * ops/s: `await d.set(i, i); await d.get(i)` on a Manager dict from the main program, each op a
 * round trip to the manager. Peer: Python `Manager().dict()`, `d[i] = i; d[i]`.
 */
export async function managerDictOps(): Promise<number | undefined> {
  return delegate('shared-state', 'managerDictOps');
}

/**
 * µs: a supervised in-host actor crashes → its replacement is running and
 * answering (one_for_one, same thread).
 * Reference: Erlang/OTP supervisor restart 8.6 µs (logger off), 150 µs (default logger).
 */
export async function restartInHost(): Promise<number | undefined> {
  return delegate('restart', 'measureRestart', 'in-host');
}

/**
 * ms: the worker hosting a supervised actor dies (process.exit / crash) → the
 * actor answers again from a fresh worker.
 * Peer: `new Worker` start → first message (measured, plain and with
 * inherited `--import tsx`).
 */
export async function restartAfterWorkerDeath(): Promise<number | undefined> {
  // measureRestart answers in µs for both kinds; this row is in ms.
  const us = await delegate('restart', 'measureRestart', 'worker-death');
  return us === undefined ? undefined : us / 1e3;
}

/** s to spawn 1M idle actors in main, all alive at the end (target ≤ 30 s; bytes each logged). */
export async function millionActors(): Promise<number | undefined> {
  const { millionActors: run } = await import('./million.js');
  const { seconds, bytes } = await run();
  millionBytes = bytes;
  return seconds;
}

let millionBytes: number | undefined;

/** bytes per live actor of the last millionActors() run (its second figure; target ≤ 1 KB). */
export function lastMillionBytes(): number | undefined {
  return millionBytes;
}
