/**
 * `npm run bench`: troupe and its peers on the same work, in one run.
 *
 *   node --import tsx bench/index.ts
 *
 * Peers: Python 3 multiprocessing (if python3 exists), raw postMessage /
 * MessageChannel between worker threads, tinypool / piscina task round trips,
 * plain xstate in one thread. Every value is a median of >= 5 runs; tables go
 * to stdout, progress to stderr.
 *
 * Env: BENCH_SKIP_PYTHON=1 skips the Python peer; BENCH_PYTHON=/path/python3
 * picks the interpreter; BENCH_JSON=1 also prints all raw numbers as JSON.
 */
import os from 'node:os';
import { performance, printTable, progress, type Row } from './harness.js';
import { runPythonPeers, type PythonPeerResults } from './peers/python.js';
import { runNodePeers, type NodePeerResults } from './peers/node.js';
import { mainToWorkerBatched64, rawCasLock } from './peers/anchors.js';
import { printTargets, type Target } from './targets.js';
import { clusterRows, type ClusterRows } from './cluster.js';

type TroupeModule = typeof import('./troupe-rows.js');

/** Per troupe function; keep the whole `npm run bench` under ~3 min on 2 cores. */
const TROUPE_TIMEOUT_MS = 30_000;

const TROUPE_ORDER = [
  // the facade first: the actor rows are measured in a process that used both doors (DESIGN §9)
  'processStartJoin',
  'queueThroughput',
  'pipeRoundTrip',
  'lockUncontended',
  'lockLoop',
  'actorSpawn',
  'actorMemory',
  'inThreadMsgs',
  'mainToWorkerMsgs',
  'askRoundTrip',
  'poolMap',
  'valueIncrements',
  'managerDictOps',
  'restartInHost',
  'restartAfterWorkerDeath',
  'millionActors',
] as const;

type TroupeName = (typeof TROUPE_ORDER)[number];

type TroupeResults = Partial<Record<TroupeName | 'millionActorBytes', number>> & {
  /** anchors rows measured alongside their own samples, by row */
  anchors?: Readonly<Partial<Record<string, number>>>;
};

async function runTroupe(): Promise<TroupeResults> {
  const out: TroupeResults = {};
  // Imported lazily so a broken runtime import still leaves the peer tables.
  let troupe: TroupeModule;
  try {
    troupe = await import('./troupe-rows.js');
  } catch (err) {
    progress(`troupe rows could not be loaded: ${(err as Error)?.stack ?? String(err)}`);
    return out;
  }
  for (const name of TROUPE_ORDER) {
    const fn = troupe[name] as () => Promise<number | undefined>;
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const v = await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${TROUPE_TIMEOUT_MS} ms`)), TROUPE_TIMEOUT_MS);
        }),
      ]);
      if (typeof v === 'number' && Number.isFinite(v)) {
        out[name] = v;
        progress(`troupe: ${name} = ${v} (${((performance.now() - t0) / 1e3).toFixed(1)} s)`);
      } else {
        progress(`troupe: ${name} not available yet`);
      }
    } catch (err) {
      progress(`troupe: ${name} FAILED: ${(err as Error)?.stack ?? String(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }
  out.millionActorBytes = troupe.lastMillionBytes();
  out.anchors = troupe.lastAnchors();
  return out;
}

interface Anchors {
  mainToWorkerBatched64?: number | undefined;
  rawCasLockNs?: number | undefined;
}

async function runAnchors(): Promise<Anchors> {
  const attempt = async (label: string, fn: () => Promise<number>): Promise<number | undefined> => {
    progress(`anchor: ${label}`);
    try {
      return await fn();
    } catch (error) {
      progress(`anchor ${label} FAILED: ${(error as Error)?.stack ?? String(error)}`);
      return undefined;
    }
  };
  return {
    mainToWorkerBatched64: await attempt('raw postMessage main → worker, batches of 64', () => mainToWorkerBatched64()),
    rawCasLockNs: await attempt('raw compare-exchange lock in a worker', () => rawCasLock()),
  };
}

function buildTargets(t: TroupeResults, py: PythonPeerResults | undefined, n: NodePeerResults, a: Anchors): Target[] {
  // the round trip each row sampled alongside its own, else the one the peers measured
  const rttUs = (row: TroupeName): number | undefined => t.anchors?.[row] ?? n.postMessageRoundTripUs;
  const alongside = (row: TroupeName): string => (t.anchors?.[row] !== undefined ? 'raw postMessage round trip, alongside' : 'raw postMessage round trip');
  return [
    { metric: 'Process start→join, no-op (warm pool)', unit: 'ms', troupe: t.processStartJoin, anchor: alongside('processStartJoin'), anchorValue: usToMs(rttUs('processStartJoin')), bound: { op: '<=', ratio: 5 } },
    { metric: 'actor spawn in main', unit: 'µs', troupe: t.actorSpawn, anchor: 'xstate createActor().start()', anchorValue: n.xstateSpawnUs, bound: { op: '<=', ratio: 0.25 } },
    { metric: 'memory per idle actor', unit: 'bytes', troupe: t.actorMemory, anchor: 'xstate idle actor', anchorValue: n.xstateBytesPerActor, bound: { op: 'max', value: 1024 } },
    { metric: 'messages into one actor, same thread', unit: 'msgs/s', troupe: t.inThreadMsgs, anchor: 'bare mailbox (push + microtask drain), alternately', anchorValue: t.anchors?.inThreadMsgs, bound: { op: '>=', ratio: 0.8 } },
    {
      metric: 'messages main → actor on a worker',
      unit: 'msgs/s',
      troupe: t.mainToWorkerMsgs,
      anchor: t.anchors?.mainToWorkerMsgs !== undefined ? 'raw postMessage, batches of 64, alongside' : 'raw postMessage, batches of 64',
      anchorValue: t.anchors?.mainToWorkerMsgs ?? a.mainToWorkerBatched64,
      bound: { op: '>=', ratio: 0.8 },
    },
    { metric: 'ask round trip main ↔ worker actor', unit: 'µs', troupe: t.askRoundTrip, anchor: alongside('askRoundTrip'), anchorValue: rttUs('askRoundTrip'), bound: { op: '<=', ratio: 1.25 } },
    { metric: 'Pipe round trip main ↔ echo Process', unit: 'µs', troupe: t.pipeRoundTrip, anchor: alongside('pipeRoundTrip'), anchorValue: rttUs('pipeRoundTrip'), bound: { op: '<=', ratio: 1.5 } },
    { metric: 'Queue put→get, Process → main', unit: 'items/s', troupe: t.queueThroughput, anchor: 'Python Queue', anchorValue: orUndef(py?.queue_items_per_s), bound: { op: '>=', ratio: 10 } },
    { metric: 'Lock acquire+release, uncontended, in a Process', unit: 'ns', troupe: t.lockUncontended, anchor: 'raw CAS lock in a worker', anchorValue: a.rawCasLockNs, bound: { op: '<=', ratio: 8 } },
    { metric: 'Lock acquisitions, 2 Processes looping', unit: 'acq/s', troupe: t.lockLoop, anchor: 'Python Lock, same loop', anchorValue: orUndef(py?.lock_loop_acquisitions_per_s), bound: { op: '>=', ratio: 1 } },
    { metric: 'Pool(2).map tiny, chunksize 1', unit: 'tasks/s', troupe: t.poolMap, anchor: 'Python Pool(2).map', anchorValue: orUndef(py?.pool_map_tasks_per_s), bound: { op: '>=', ratio: 20 } },
    { metric: 'supervisor restart in main, logging on', unit: 'µs', troupe: t.restartInHost, anchor: 'xstate createActor().start()', anchorValue: n.xstateSpawnUs, bound: { op: '<=', ratio: 2 } },
    { metric: 'restart of a child whose worker died', unit: 'ms', troupe: t.restartAfterWorkerDeath, anchor: 'raw new Worker → first reply', anchorValue: n.workerStartReadyMs, bound: { op: '<=', ratio: 1 } },
    { metric: '1 M live actors: spawn time', unit: 's', troupe: t.millionActors, anchor: 'Erlang default limit 1 M', anchorValue: undefined, bound: { op: 'max', value: 30 } },
    { metric: '1 M live actors: memory each', unit: 'bytes', troupe: t.millionActorBytes, anchor: 'Erlang 2.7 KB (ref.)', anchorValue: undefined, bound: { op: 'max', value: 1024 } },
    { metric: 'Manager dict operations', unit: 'ops/s', troupe: t.managerDictOps, anchor: 'Python Manager().dict()', anchorValue: orUndef(py?.manager_dict_ops_per_s), bound: { op: '>=', ratio: 10 } },
  ];
}

/** Fixed reference numbers (not measured here). */
const ERLANG_RESTART_LOGGER_OFF_US = 8.6;
const ERLANG_RESTART_DEFAULT_LOGGER_US = 150;

const orUndef = (x: number | null | undefined): number | undefined =>
  typeof x === 'number' && Number.isFinite(x) ? x : undefined;
const usToMs = (x: number | undefined) => (x === undefined ? undefined : x / 1e3);

function buildTables(t: TroupeResults, py: PythonPeerResults | undefined, n: NodePeerResults) {
  const tsx = (n.inheritedExecArgv ?? []).join(' ') || 'no flags';
  const tables: Array<[string, Row[]]> = [];

  const lower = { higherIsBetter: false } as const;
  const higher = { higherIsBetter: true } as const;

  {
    const m = 'Process start→join (no-op)';
    const u = 'ms';
    const tr = t.processStartJoin;
    tables.push([
      'Process lifecycle',
      [
        { metric: m, unit: u, troupe: tr, peer: 'Python Process (fork)', peerValue: orUndef(py?.process_start_join_fork_ms), ...lower },
        { metric: m, unit: u, troupe: tr, peer: 'Python Process (forkserver)', peerValue: orUndef(py?.process_start_join_forkserver_ms), ...lower },
        { metric: m, unit: u, troupe: tr, peer: 'Python Process (spawn)', peerValue: orUndef(py?.process_start_join_spawn_ms), ...lower },
        { metric: m, unit: u, troupe: tr, peer: 'tinypool run() round trip', peerValue: usToMs(n.tinypoolRoundTripUs), ...lower },
        { metric: m, unit: u, troupe: tr, peer: 'piscina run() round trip', peerValue: usToMs(n.piscinaRoundTripUs), ...lower },
        { metric: m, unit: u, troupe: tr, peer: 'new Worker start→exit (plain)', peerValue: n.workerStartExitMs, ...lower },
        { metric: m, unit: u, troupe: tr, peer: `new Worker start→exit (${tsx})`, peerValue: n.workerStartExitInheritMs, ...lower },
      ],
    ]);
  }

  tables.push([
    'Actors in one thread',
    [
      { metric: 'actor spawn+start', unit: 'µs/actor', troupe: t.actorSpawn, peer: 'xstate createActor().start()', peerValue: n.xstateSpawnUs, ...lower },
      { metric: 'memory per idle actor', unit: 'bytes', troupe: t.actorMemory, peer: 'xstate idle actor', peerValue: n.xstateBytesPerActor, ...lower },
      { metric: 'messages into one actor', unit: 'msgs/s', troupe: t.inThreadMsgs, peer: 'xstate sendTo ping-pong', peerValue: n.xstatePingPongMsgsPerS, ...higher },
    ],
  ]);

  tables.push([
    'Messaging with workers',
    [
      { metric: 'one-way send main → worker actor', unit: 'msgs/s', troupe: t.mainToWorkerMsgs, peer: 'raw postMessage worker→worker', peerValue: n.oneWayMsgsPerS, ...higher },
      { metric: 'one-way send main → worker actor', unit: 'msgs/s', troupe: t.mainToWorkerMsgs, peer: 'raw postMessage worker→worker, batch 64', peerValue: n.oneWayBatched64MsgsPerS, ...higher },
      { metric: 'ask round trip main ↔ worker', unit: 'µs', troupe: t.askRoundTrip, peer: 'worker.postMessage main↔worker', peerValue: n.postMessageRoundTripUs, ...lower },
      { metric: 'ask round trip main ↔ worker', unit: 'µs', troupe: t.askRoundTrip, peer: 'MessageChannel worker↔worker', peerValue: n.messageChannelRoundTripUs, ...lower },
    ],
  ]);

  tables.push([
    'Queues/Pipes',
    [
      { metric: 'Queue put→get', unit: 'items/s', troupe: t.queueThroughput, peer: 'Python Queue', peerValue: orUndef(py?.queue_items_per_s), ...higher },
      { metric: 'Queue put→get', unit: 'items/s', troupe: t.queueThroughput, peer: 'Python SimpleQueue', peerValue: orUndef(py?.simplequeue_items_per_s), ...higher },
      { metric: 'Queue put→get', unit: 'items/s', troupe: t.queueThroughput, peer: 'Python Pipe one-way', peerValue: orUndef(py?.pipe_one_way_items_per_s), ...higher },
      { metric: 'Pipe ping-pong', unit: 'µs', troupe: t.pipeRoundTrip, peer: 'Python Pipe ping-pong', peerValue: orUndef(py?.pipe_round_trip_us), ...lower },
      { metric: 'Pipe ping-pong', unit: 'µs', troupe: t.pipeRoundTrip, peer: 'raw MessageChannel worker↔worker', peerValue: n.messageChannelRoundTripUs, ...lower },
    ],
  ]);

  tables.push([
    'Locks',
    [
      { metric: 'Lock acquire+release, uncontended', unit: 'ns', troupe: t.lockUncontended, peer: 'Python Lock', peerValue: orUndef(py?.lock_uncontended_ns), ...lower },
      { metric: 'Lock acquisitions, 2 processes looping', unit: 'acq/s', troupe: t.lockLoop, peer: 'Python Lock, same loop', peerValue: orUndef(py?.lock_loop_acquisitions_per_s), ...higher },
    ],
  ]);

  {
    const m = 'Pool(2).map tiny, chunksize 1';
    tables.push([
      'Pool',
      [
        { metric: m, unit: 'tasks/s', troupe: t.poolMap, peer: 'Python Pool(2).map', peerValue: orUndef(py?.pool_map_tasks_per_s), ...higher },
        { metric: m, unit: 'tasks/s', troupe: t.poolMap, peer: 'tinypool, 2 threads', peerValue: n.tinypoolTasksPerS, ...higher },
        { metric: m, unit: 'tasks/s', troupe: t.poolMap, peer: 'piscina, 2 threads', peerValue: n.piscinaTasksPerS, ...higher },
      ],
    ]);
  }

  tables.push([
    'Shared state',
    [
      { metric: 'Value increments under getLock(), 4 processes', unit: 'ops/s', troupe: t.valueIncrements, peer: 'Python Value + get_lock()', peerValue: orUndef(py?.value_increments_per_s), ...higher },
      { metric: 'Manager dict set/get round trips', unit: 'ops/s', troupe: t.managerDictOps, peer: 'Python Manager().dict()', peerValue: orUndef(py?.manager_dict_ops_per_s), ...higher },
    ],
  ]);

  tables.push([
    'Supervision',
    [
      { metric: 'restart in host', unit: 'µs', troupe: t.restartInHost, peer: 'Erlang/OTP, logger off (ref.)', peerValue: ERLANG_RESTART_LOGGER_OFF_US, ...lower },
      { metric: 'restart in host', unit: 'µs', troupe: t.restartInHost, peer: 'Erlang/OTP, default logger (ref.)', peerValue: ERLANG_RESTART_DEFAULT_LOGGER_US, ...lower },
      { metric: 'restart after worker death', unit: 'ms', troupe: t.restartAfterWorkerDeath, peer: 'new Worker start→ready (plain)', peerValue: n.workerStartReadyMs, ...lower },
      { metric: 'restart after worker death', unit: 'ms', troupe: t.restartAfterWorkerDeath, peer: `new Worker start→ready (${tsx})`, peerValue: n.workerStartReadyInheritMs, ...lower },
    ],
  ]);

  return tables;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const cpus = os.cpus();
  const load0 = os.loadavg()[0] ?? 0;
  progress(`node ${process.version}, ${cpus.length} CPU(s) ${cpus[0]?.model ?? ''}, execArgv ${JSON.stringify(process.execArgv)}`);

  let py: PythonPeerResults | undefined;
  if (process.env.BENCH_SKIP_PYTHON) progress('python peers skipped (BENCH_SKIP_PYTHON)');
  else {
    progress('python multiprocessing peers ...');
    py = await runPythonPeers({ python: process.env.BENCH_PYTHON ?? 'python3' });
  }

  progress('node peers ...');
  const nodePeers = await runNodePeers();

  progress('anchors ...');
  const anchors = await runAnchors();

  progress('troupe ...');
  const t = await runTroupe();

  progress('cluster (NATS) ...');
  const cluster: ClusterRows = await clusterRows().catch((error: unknown) => ({ targets: [], skipped: `cluster rows FAILED: ${(error as Error)?.stack ?? String(error)}` }));

  const elapsed = (performance.now() - t0) / 1e3;
  const out = (s: string) => process.stdout.write(s);
  out(`troupe bench — node ${process.version}, ${cpus.length} CPU(s), ${os.platform()}/${os.arch()}`);
  out(py ? `, Python ${py.python}` : ', Python: n/a');
  out(`; medians of >= 5 runs; ratio = troupe/peer; total ${elapsed.toFixed(1)} s`);
  // Other CPU-heavy work on a 2-core box skews everything: show the 1-min load.
  out(`; loadavg(1m) ${load0.toFixed(2)} at start, ${(os.loadavg()[0] ?? 0).toFixed(2)} at end\n`);
  printTargets([...buildTargets(t, py, nodePeers, anchors), ...cluster.targets]);
  if (cluster.skipped) out(`${cluster.skipped}\n`);
  out('\nSide by side with every peer:\n');
  for (const [title, rows] of buildTables(t, py, nodePeers)) printTable(title, rows);
  out('\nNotes:\n');
  out(`- memory per actor: ${nodePeers.memoryMethod ?? 'n/a'}.\n`);
  out('- Process start→join, ask and Pipe round trips: each sample alternates with a sample of the raw postMessage round trip (5,000 round trips), and the row is held to that anchor, because the machine\'s speed drifts within a run (the round trip moved 27–45 µs within minutes here). Messages main → worker actor: likewise, each sample alternates with a sample of raw postMessage in batches of 64 (200k messages), after two unmeasured samples of each (the second sample of a process still ran at 0.6-0.7x of the later ones).\n');
  out('- Process start→join: mean of 200 sequential no-op processes per sample, after 2,000 unmeasured ones (the JIT settles only after ~2,000 starts; the anchor is measured warm too).\n');
  out('- Queue put→get: 100k items per sample, after 3 unmeasured samples (the producer runs on either worker; the first 300k items ran at half speed while the JIT settled). Supervisor restart in main: median of 2,000 restarts after 2,000 unmeasured ones (the xstate anchor warms up on 10,000 actors).\n');
  out('- Lock acquisitions: two processes loop acquire/release on one Lock from a barrier to the last join (Python: the same script with fork).\n');
  out('- Messages into one actor, same thread: 1 M sends, then one drain; troupe and the bare mailbox run alternately in the same heap, sending the same messages from one allocation site, because with a million live messages the GC (V8 decides per process whether to allocate them straight into old space) moves both by up to 2.5x. The same in bursts of 1,000 (the code alone) is printed on stderr.\n');
  out('- tinypool/piscina tasks/s: 2 threads, all tasks submitted at once; round trip: one task at a time.\n');
  out('- Value increments: timed from a barrier all 4 processes passed; a contended troupe lock is handed to the next waiter through the lock manager (fair), a Python lock is re-taken by its releaser (a futex).\n');
  out('- Manager dict: from the main program (the manager is an actor there); the same loop inside a Process is printed on stderr.\n');
  out(`- Erlang restart numbers are fixed references (${ERLANG_RESTART_LOGGER_OFF_US} µs logger off, ${ERLANG_RESTART_DEFAULT_LOGGER_US} µs default logger), not measured here.\n`);
  if (process.env.BENCH_JSON) out('\n' + JSON.stringify({ troupe: t, python: py ?? null, node: nodePeers, anchors }, null, 2) + '\n');

  // Everything we started has been terminated; if a troupe row left something
  // running, say what and exit anyway so `npm run bench` never hangs.
  setTimeout(() => {
    progress(`still alive 3 s after finishing; open resources: ${JSON.stringify(process.getActiveResourcesInfo())} — exiting`);
    process.exit(0);
  }, 3_000).unref();
}

main().catch((err) => {
  progress(`bench failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
