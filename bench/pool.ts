/**
 * The Pool row of `npm run bench`: troupe `Pool(2).map(tiny, range(20_000), chunksize=1)` in
 * tasks/s, the workload of Python's `Pool(2).map` peer and of the tinypool/piscina peers (2
 * threads, 20k no-op tasks in flight). Run alone (`node --import tsx bench/pool.ts`) it also runs
 * the tinypool and piscina peers and prints the three side by side.
 */
import { pathToFileURL } from 'node:url';
import { defaultSystem } from 'troupe';
import { Pool } from 'troupe/multiprocessing';
import { measure, performance, progress } from './harness.js';

const TASKS = 20_000;

/** tasks/s: Pool(2).map over 20k small ints, chunksize 1, on warm workers (median of 5). */
export async function poolMap(): Promise<number> {
  const pool = new Pool(2);
  const items = Array.from({ length: TASKS }, (_, i) => i);
  const tiny = (x: number): number => x;
  try {
    // warm-up: both workers up, the task loaded, batch sizes learnt
    await pool.map(tiny, items, 1);
    return await measure(
      async () => {
        const t0 = performance.now();
        const out = await pool.map(tiny, items, 1);
        const elapsed = performance.now() - t0;
        if (out.length !== TASKS || out[TASKS - 1] !== TASKS - 1) throw new Error('Pool.map returned wrong results');
        return TASKS / (elapsed / 1e3);
      },
      { runs: 5, warmup: 1 },
    );
  } finally {
    pool.close();
    await pool.join();
  }
}

async function main(): Promise<void> {
  const { tinypoolBench, piscinaBench } = await import('./peers/node.js');
  const troupe = await poolMap();
  await defaultSystem().shutdown();
  const tinypool = (await tinypoolBench()).tasksPerS;
  const piscina = (await piscinaBench()).tasksPerS;
  const row = (name: string, value: number): string => `${name.padEnd(34)} ${Math.round(value).toLocaleString('en-US').padStart(12)} tasks/s  troupe/peer ${(troupe / value).toFixed(1)}x`;
  progress('Pool.map, tiny tasks, chunksize 1, 2 workers, 20k tasks (median of 5)');
  process.stdout.write(`${'troupe Pool(2).map'.padEnd(34)} ${Math.round(troupe).toLocaleString('en-US').padStart(12)} tasks/s\n`);
  process.stdout.write(`${row('tinypool run() x20k in flight', tinypool)}\n`);
  process.stdout.write(`${row('piscina run() x20k in flight', piscina)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
