/**
 * Shared-state rows of `npm run bench` (called by bench/troupe-rows.ts), mirroring
 * bench/peers/mp_bench.py: increments of a `Value('i')` under `getLock()` by 4 processes
 * (ops/s, from a barrier all four passed to the last join(): process start-up is another row), and
 * Manager dict round trips from the main program (`d[i] = i; d[i]`: ops/s, each op a round trip
 * to the manager — an actor in main here, a server process in Python). The same dict work from
 * inside a Process (a round trip between threads) is printed as an extra line.
 * Process targets live in ./shared-targets.ts. Run alone: `node --import tsx bench/shared-state.ts`.
 */
import { pathToFileURL } from 'node:url';
import { defaultSystem } from 'troupe';
import { Barrier, Manager, Process, Value } from 'troupe/multiprocessing';
import { fmt, measure, performance, progress } from './harness.js';
import { dictRoundTrips, dictRoundTripsInProcess, incrementLoop } from './shared-targets.js';

const INCREMENTS = 10_000;
const ROUND_TRIPS = 5_000;

/** ops/s: 4 processes × 10k increments of a Value('i') under getLock(), barrier → join (median of 5). */
export async function valueIncrements(): Promise<number> {
  try {
    return await measure(
      async () => {
        const counter = new Value('i', 0);
        const ready = new Barrier(5);
        const processes = Array.from({ length: 4 }, () => new Process({ target: incrementLoop, args: [counter, INCREMENTS, ready] }));
        for (const p of processes) p.start();
        await ready.wait();
        const t0 = performance.now();
        for (const p of processes) await p.join();
        const elapsed = performance.now() - t0;
        if (counter.value !== 4 * INCREMENTS) throw new Error(`lost increments: ${counter.value}`);
        return (4 * INCREMENTS) / (elapsed / 1e3);
      },
      { runs: 5, warmup: 1 },
    );
  } finally {
    await defaultSystem().shutdown();
  }
}

/** ops/s: Manager dict set/get round trips from the main program (median of 5). */
export async function managerDictOps(): Promise<number> {
  const manager = await Manager();
  try {
    const d = await manager.dict<number, number>();
    await dictRoundTrips(d, 1000);
    const fromMain = await measure(() => dictRoundTrips(d, ROUND_TRIPS), { runs: 5, warmup: 0 });
    const rate = new Value('d', 0);
    const fromProcess = await measure(
      async () => {
        const p = new Process({ target: dictRoundTripsInProcess, args: [d, ROUND_TRIPS, rate] });
        p.start();
        await p.join();
        return rate.value;
      },
      { runs: 5, warmup: 1 },
    );
    progress(`troupe:   Manager dict set/get from inside a Process: ${fmt(fromProcess)} ops/s`);
    return fromMain;
  } finally {
    await manager.shutdown();
    await defaultSystem().shutdown();
  }
}

async function main(): Promise<void> {
  const value = await valueIncrements();
  const dict = await managerDictOps();
  process.stdout.write(`Value increments under getLock(), 4 processes: ${fmt(value)} ops/s\n`);
  process.stdout.write(`Manager dict set/get from main: ${fmt(dict)} ops/s\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
