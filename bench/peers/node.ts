/**
 * Node-side peers: raw worker_threads messaging, tinypool / piscina task round
 * trips, `new Worker` start cost, and plain xstate in one thread.
 *
 * Every value is the median of >= 5 measured samples (after a warm-up).
 * Every worker / pool created here is terminated before the function returns.
 */
import { Worker, MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Tinypool } from 'tinypool';
import { Piscina } from 'piscina';
import { createActor, createMachine, assign, sendTo, type AnyActorRef } from 'xstate';
import { measure, median, heapBytesPerItem, getGc, performance, progress } from '../harness.js';
import { openRoundTrip } from './anchors.js';

const workerFile = (name: string): URL => new URL(`./workers/${name}`, import.meta.url);

export type NodePeerResults = {
  /** main <-> worker `worker.postMessage` ping-pong, µs per round trip */
  postMessageRoundTripUs?: number | undefined;
  /** MessageChannel ping-pong between two workers, µs per round trip */
  messageChannelRoundTripUs?: number | undefined;
  /** one-way worker -> worker postMessage over a MessageChannel, msgs/s */
  oneWayMsgsPerS?: number | undefined;
  /** same, 64 numbers per postMessage (counted per number), msgs/s */
  oneWayBatched64MsgsPerS?: number | undefined;
  /** tinypool `await run(x)` sequential round trip, µs */
  tinypoolRoundTripUs?: number | undefined;
  /** tinypool, many tasks in flight, maxThreads 2, tasks/s */
  tinypoolTasksPerS?: number | undefined;
  /** piscina `await run(x)` sequential round trip, µs */
  piscinaRoundTripUs?: number | undefined;
  /** piscina, many tasks in flight, maxThreads 2, tasks/s */
  piscinaTasksPerS?: number | undefined;
  /** `new Worker(file, { execArgv: [] })` until its 'exit' event (module just posts one message), ms */
  workerStartExitMs?: number | undefined;
  /** `new Worker(file, { execArgv: [] })` until its first message arrives on the parent, ms */
  workerStartReadyMs?: number | undefined;
  /** same as workerStartExitMs but inheriting this process's execArgv (e.g. `--import tsx`), ms */
  workerStartExitInheritMs?: number | undefined;
  /** same as workerStartReadyMs but inheriting this process's execArgv, ms */
  workerStartReadyInheritMs?: number | undefined;
  /** the execArgv the *Inherit* workers got */
  inheritedExecArgv?: string[] | undefined;
  /** xstate createActor(machine).start(), µs per actor */
  xstateSpawnUs?: number | undefined;
  /** two xstate actors ping-ponging via sendTo in one thread, msgs/s */
  xstatePingPongMsgsPerS?: number | undefined;
  /** retained JS heap per started, idle xstate actor, bytes */
  xstateBytesPerActor?: number | undefined;
  /** how xstateBytesPerActor was measured */
  memoryMethod?: string | undefined;
};

// Sizes: each sample takes roughly 50–500 ms on a slow 2-core VM.
const N = {
  rtt: 5_000,
  oneWay: 200_000,
  poolRtt: 2_000,
  poolTasks: 20_000,
  workerStarts: 15,
  xstateSpawn: 10_000,
  xstatePingPong: 100_000,
  memActorsGc: 20_000,
  memActorsNoGc: 100_000,
};

function waitMessage<T = unknown>(w: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMsg = (m: T) => {
      w.off('error', onErr);
      resolve(m);
    };
    const onErr = (e: unknown) => {
      w.off('message', onMsg);
      reject(e);
    };
    w.once('message', onMsg);
    w.once('error', onErr);
  });
}

async function startWorker(name: string): Promise<Worker> {
  const w = new Worker(workerFile(name), { execArgv: [] }); // plain .mjs: no need for tsx in the worker
  await once(w, 'online');
  return w;
}

// --------------------------------------------------------------- raw threads --

export async function postMessageRoundTrip(): Promise<number> {
  const roundTrip = await openRoundTrip();
  try {
    return await measure(() => roundTrip.sample(N.rtt), { runs: 5, warmup: 1 });
  } finally {
    await roundTrip.close();
  }
}

async function withPortPair<T>(fn: (a: Worker, b: Worker) => Promise<T>): Promise<T> {
  const a = await startWorker('port-peer.mjs');
  const b = await startWorker('port-peer.mjs');
  try {
    const { port1, port2 } = new MessageChannel();
    a.postMessage({ cmd: 'port', port: port1 }, [port1]);
    await waitMessage(a);
    b.postMessage({ cmd: 'port', port: port2 }, [port2]);
    await waitMessage(b);
    return await fn(a, b);
  } finally {
    await Promise.all([a.terminate(), b.terminate()]);
  }
}

export async function messageChannelRoundTrip(): Promise<number> {
  return withPortPair(async (a, b) => {
    b.postMessage({ cmd: 'echo' });
    await waitMessage(b);
    const n = N.rtt;
    return measure(
      async () => {
        a.postMessage({ cmd: 'pingpong', n });
        const { elapsedMs } = await waitMessage<{ elapsedMs: number }>(a);
        return (elapsedMs / n) * 1e3;
      },
      { runs: 5, warmup: 1 },
    );
  });
}

export async function oneWayThroughput(batch: number): Promise<number> {
  return withPortPair(async (a, b) => {
    const n = N.oneWay;
    return measure(
      async () => {
        b.postMessage({ cmd: 'expect', n });
        await waitMessage(b);
        const done = waitMessage(b);
        const t0 = performance.now();
        a.postMessage({ cmd: 'send', n, batch });
        await done;
        return n / ((performance.now() - t0) / 1e3);
      },
      { runs: 5, warmup: 1 },
    );
  });
}

/**
 * `new Worker` start cost. `inheritExecArgv: false` starts a plain worker
 * (`execArgv: []`); `true` lets it inherit process.execArgv — under
 * `node --import tsx` every such worker loads tsx again, which costs a lot.
 */
export async function workerStartCost(inheritExecArgv = false): Promise<{ exitMs: number; readyMs: number }> {
  const file = workerFile('empty.mjs');
  const opts = inheritExecArgv ? {} : { execArgv: [] as string[] };
  const one = async () => {
    const t0 = performance.now();
    const w = new Worker(file, opts);
    let tReady = Number.NaN;
    w.once('message', () => {
      tReady = performance.now();
    });
    const [code] = (await once(w, 'exit')) as [number];
    const tExit = performance.now();
    if (code !== 0) throw new Error(`empty worker exited with ${code}`);
    return { exitMs: tExit - t0, readyMs: tReady - t0 };
  };
  await one(); // warm-up
  const exit: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < N.workerStarts; i++) {
    const s = await one();
    exit.push(s.exitMs);
    ready.push(s.readyMs);
  }
  return { exitMs: median(exit), readyMs: median(ready) };
}

// ---------------------------------------------------------------------- pools --

type PoolLike = { run(task: unknown): Promise<unknown>; destroy(): Promise<void> };

async function poolBench(pool: PoolLike): Promise<{ rttUs: number; tasksPerS: number }> {
  try {
    // Warm both threads up.
    await Promise.all(Array.from({ length: 200 }, (_, i) => pool.run(i)));
    const rttUs = await measure(
      async () => {
        const n = N.poolRtt;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await pool.run(i);
        return ((performance.now() - t0) / n) * 1e3;
      },
      { runs: 5, warmup: 1 },
    );
    const tasksPerS = await measure(
      async () => {
        const n = N.poolTasks;
        const t0 = performance.now();
        const ps = new Array<Promise<unknown>>(n);
        for (let i = 0; i < n; i++) ps[i] = pool.run(i);
        await Promise.all(ps);
        return n / ((performance.now() - t0) / 1e3);
      },
      { runs: 5, warmup: 1 },
    );
    return { rttUs, tasksPerS };
  } finally {
    await pool.destroy();
  }
}

export function tinypoolBench() {
  return poolBench(
    new Tinypool({ filename: fileURLToPath(workerFile('noop-task.mjs')), minThreads: 2, maxThreads: 2, execArgv: [] }),
  );
}

export function piscinaBench() {
  return poolBench(
    new Piscina({ filename: fileURLToPath(workerFile('noop-task.mjs')), minThreads: 2, maxThreads: 2, execArgv: [] }),
  );
}

// --------------------------------------------------------------------- xstate --

/** An idle actor: one state, one self-transition that counts. */
const idleMachine = createMachine({
  id: 'idle',
  context: { n: 0 },
  initial: 'waiting',
  states: {
    waiting: {
      on: { PING: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    },
  },
});

type PingInput = { peer: () => AnyActorRef; limit: number; done: (count: number) => void };

/** Ping-pong: on PING, count it and PING the peer back until `limit`. */
const pingMachine = createMachine({
  types: {} as { context: { n: number } & PingInput; input: PingInput; events: { type: 'PING' } },
  id: 'ping',
  context: ({ input }) => ({ n: 0, ...input }),
  on: {
    PING: [
      {
        guard: ({ context }) => context.n + 1 < context.limit,
        actions: [
          assign({ n: ({ context }) => context.n + 1 }),
          sendTo(({ context }) => context.peer(), { type: 'PING' }),
        ],
      },
      {
        actions: [assign({ n: ({ context }) => context.n + 1 }), ({ context }) => context.done(context.n)],
      },
    ],
  },
});

export async function xstateSpawn(): Promise<number> {
  return measure(
    () => {
      const n = N.xstateSpawn;
      const actors = new Array<AnyActorRef>(n);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) actors[i] = createActor(idleMachine).start();
      const us = ((performance.now() - t0) / n) * 1e3;
      for (const a of actors) a.stop();
      return us;
    },
    { runs: 5, warmup: 1 },
  );
}

export async function xstatePingPong(): Promise<number> {
  return measure(
    () =>
      new Promise<number>((resolve, reject) => {
        // Each actor handles `limit` PINGs; total messages delivered = 2 * limit.
        const limit = N.xstatePingPong / 2;
        let finished = false;
        let t0 = 0;
        const done = () => {
          if (finished) return;
          finished = true;
          const dt = performance.now() - t0;
          a.stop();
          b.stop();
          resolve((2 * limit) / (dt / 1e3));
        };
        const a: AnyActorRef = createActor(pingMachine, { input: { peer: (): AnyActorRef => b, limit, done } });
        const b: AnyActorRef = createActor(pingMachine, { input: { peer: (): AnyActorRef => a, limit, done } });
        a.start();
        b.start();
        t0 = performance.now();
        a.send({ type: 'PING' });
        if (!finished) reject(new Error('xstate ping-pong did not complete synchronously'));
      }),
    { runs: 5, warmup: 1 },
  );
}

export async function xstateMemory(): Promise<{ bytes: number; method: string }> {
  const gc = getGc();
  const count = gc ? N.memActorsGc : N.memActorsNoGc;
  const method = gc ? `gc + heapUsed delta over ${count} actors` : `heapUsed delta over ${count} actors (no gc)`;
  const bytes = await measure(
    () =>
      heapBytesPerItem(
        () => createActor(idleMachine).start(),
        count,
        (actors) => {
          for (const a of actors) a.stop();
        },
      ),
    { runs: 5, warmup: 1 },
  );
  return { bytes, method };
}

// ----------------------------------------------------------------------- all --

async function attempt<T>(label: string, fn: () => Promise<T>): Promise<T | undefined> {
  progress(`node peer: ${label}`);
  const t0 = performance.now();
  try {
    const v = await fn();
    progress(`  ... ${((performance.now() - t0) / 1e3).toFixed(1)} s`);
    return v;
  } catch (err) {
    progress(`node peer ${label} FAILED: ${(err as Error)?.stack ?? String(err)}`);
    return undefined;
  }
}

export async function runNodePeers(): Promise<NodePeerResults> {
  const r: NodePeerResults = {};
  r.postMessageRoundTripUs = await attempt('worker.postMessage round trip', postMessageRoundTrip);
  r.messageChannelRoundTripUs = await attempt('MessageChannel round trip (worker<->worker)', messageChannelRoundTrip);
  r.oneWayMsgsPerS = await attempt('one-way postMessage worker->worker', () => oneWayThroughput(1));
  r.oneWayBatched64MsgsPerS = await attempt('one-way postMessage worker->worker, batch 64', () => oneWayThroughput(64));
  const tp = await attempt('tinypool run()', tinypoolBench);
  r.tinypoolRoundTripUs = tp?.rttUs;
  r.tinypoolTasksPerS = tp?.tasksPerS;
  const pc = await attempt('piscina run()', piscinaBench);
  r.piscinaRoundTripUs = pc?.rttUs;
  r.piscinaTasksPerS = pc?.tasksPerS;
  const ws = await attempt('new Worker start->exit (execArgv: [])', () => workerStartCost(false));
  r.workerStartExitMs = ws?.exitMs;
  r.workerStartReadyMs = ws?.readyMs;
  r.inheritedExecArgv = [...process.execArgv];
  const wi = await attempt(`new Worker start->exit (inherits execArgv ${JSON.stringify(process.execArgv)})`, () =>
    workerStartCost(true),
  );
  r.workerStartExitInheritMs = wi?.exitMs;
  r.workerStartReadyInheritMs = wi?.readyMs;
  r.xstateSpawnUs = await attempt('xstate createActor+start', xstateSpawn);
  r.xstatePingPongMsgsPerS = await attempt('xstate ping-pong', xstatePingPong);
  const mem = await attempt('xstate memory per idle actor', xstateMemory);
  r.xstateBytesPerActor = mem?.bytes;
  r.memoryMethod = mem?.method;
  return r;
}
