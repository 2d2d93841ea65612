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

type TroupeModule = typeof import('./troupe-rows.js');

/** Per troupe function; keep the whole `npm run bench` under ~3 min on 2 cores. */
const TROUPE_TIMEOUT_MS = 30_000;

type TroupeName =
  | 'processStartJoin'
  | 'actorSpawn'
  | 'actorMemory'
  | 'inHostMsgs'
  | 'crossWorkerMsgs'
  | 'askRoundTrip'
  | 'queueThroughput'
  | 'pipeRoundTrip'
  | 'lockUncontended'
  | 'lockHandoffs'
  | 'poolMap'
  | 'valueIncrements'
  | 'managerDictOps'
  | 'restartInHost'
  | 'restartAfterWorkerDeath';

const TROUPE_ORDER: TroupeName[] = [
  'processStartJoin',
  'actorSpawn',
  'actorMemory',
  'inHostMsgs',
  'crossWorkerMsgs',
  'askRoundTrip',
  'queueThroughput',
  'pipeRoundTrip',
  'lockUncontended',
  'lockHandoffs',
  'poolMap',
  'valueIncrements',
  'managerDictOps',
  'restartInHost',
  'restartAfterWorkerDeath',
];

type TroupeResults = Partial<Record<TroupeName, number>>;

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
  return out;
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
      { metric: 'in-thread ping-pong', unit: 'msgs/s', troupe: t.inHostMsgs, peer: 'xstate sendTo ping-pong', peerValue: n.xstatePingPongMsgsPerS, ...higher },
    ],
  ]);

  tables.push([
    'Messaging between workers',
    [
      { metric: 'one-way send worker→worker', unit: 'msgs/s', troupe: t.crossWorkerMsgs, peer: 'raw port.postMessage', peerValue: n.oneWayMsgsPerS, ...higher },
      { metric: 'one-way send worker→worker', unit: 'msgs/s', troupe: t.crossWorkerMsgs, peer: 'raw port.postMessage, batch 64', peerValue: n.oneWayBatched64MsgsPerS, ...higher },
      { metric: 'ask round trip', unit: 'µs', troupe: t.askRoundTrip, peer: 'worker.postMessage main↔worker', peerValue: n.postMessageRoundTripUs, ...lower },
      { metric: 'ask round trip', unit: 'µs', troupe: t.askRoundTrip, peer: 'MessageChannel worker↔worker', peerValue: n.messageChannelRoundTripUs, ...lower },
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
      { metric: 'Lock handoffs, 2 processes', unit: 'handoffs/s', troupe: t.lockHandoffs, peer: 'Python Lock pair, alternating', peerValue: orUndef(py?.lock_handoffs_per_s), ...higher },
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

  progress('troupe ...');
  const t = await runTroupe();

  const elapsed = (performance.now() - t0) / 1e3;
  const out = (s: string) => process.stdout.write(s);
  out(`troupe bench — node ${process.version}, ${cpus.length} CPU(s), ${os.platform()}/${os.arch()}`);
  out(py ? `, Python ${py.python}` : ', Python: n/a');
  out(`; medians of >= 5 runs; ratio = troupe/peer; total ${elapsed.toFixed(1)} s`);
  // Other CPU-heavy work on a 2-core box skews everything: show the 1-min load.
  out(`; loadavg(1m) ${load0.toFixed(2)} at start, ${(os.loadavg()[0] ?? 0).toFixed(2)} at end\n`);
  for (const [title, rows] of buildTables(t, py, nodePeers)) printTable(title, rows);
  out('\nNotes:\n');
  out(`- memory per actor: ${nodePeers.memoryMethod ?? 'n/a'}.\n`);
  out('- Python lock handoffs: two multiprocessing.Lock objects used as a ping-pong pair; each transfer counts as one handoff.\n');
  out('- tinypool/piscina tasks/s: 2 threads, all tasks submitted at once; round trip: one task at a time.\n');
  out('- Value increments: timed from a barrier all 4 processes passed; a contended troupe lock is handed to the next waiter through the lock manager (fair), a Python lock is re-taken by its releaser (a futex).\n');
  out('- Manager dict: from the main program (the manager is an actor there); the same loop inside a Process is printed on stderr.\n');
  out(`- Erlang restart numbers are fixed references (${ERLANG_RESTART_LOGGER_OFF_US} µs logger off, ${ERLANG_RESTART_DEFAULT_LOGGER_US} µs default logger), not measured here.\n`);
  if (process.env.BENCH_JSON) out('\n' + JSON.stringify({ troupe: t, python: py ?? null, node: nodePeers }, null, 2) + '\n');

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
