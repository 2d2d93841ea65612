/**
 * Python 3 multiprocessing peer: runs bench/peers/mp_bench.py with python3
 * and returns its numbers. Resolves to `undefined` (with a progress note) if
 * python3 is missing or the script fails — the bench then prints `n/a`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { progress } from '../harness.js';

export type PythonPeerResults = {
  python: string;
  cpus: number;
  runs: number;
  /** Process(target=noop).start(); join(), ms per process, per start method (null if unavailable) */
  process_start_join_fork_ms: number | null;
  process_start_join_forkserver_ms: number | null;
  process_start_join_spawn_ms: number | null;
  /** Queue put -> get between two processes, items/s */
  queue_items_per_s: number;
  queue_items: number;
  /** SimpleQueue put -> get between two processes, items/s */
  simplequeue_items_per_s: number;
  /** Pipe one-way send -> recv, items/s */
  pipe_one_way_items_per_s: number;
  pipe_items: number;
  /** Pipe ping-pong, µs per round trip */
  pipe_round_trip_us: number;
  /** Lock acquire + release, uncontended, ns */
  lock_uncontended_ns: number;
  /** 2 processes looping acquire/release on one Lock, acquisitions/s (barrier -> last join) */
  lock_loop_acquisitions_per_s: number;
  /** Pool(2).map(tiny, range(n), chunksize=1), tasks/s */
  pool_map_tasks_per_s: number;
  pool_tasks: number;
  /** 4 processes incrementing a Value("i") under get_lock(), ops/s (barrier -> last join) */
  value_increments_per_s: number;
  value_increments: number;
  /** Manager().dict() d[i] = i; d[i] from the parent, ops/s (each op a round trip) */
  manager_dict_ops_per_s: number;
  manager_dict_ops: number;
  total_s: number;
};

const script = fileURLToPath(new URL('./mp_bench.py', import.meta.url));

export function runPythonPeers(
  { python = process.env.PYTHON ?? 'python3', timeoutMs = 120_000, scale = 1 } = {},
): Promise<PythonPeerResults | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (v: PythonPeerResults | undefined, why?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (why) progress(`python peers skipped: ${why}`);
      resolve(v);
    };
    let child;
    try {
      child = spawn(python, [script, '--scale', String(scale)], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      finish(undefined, String(err));
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(undefined, `timed out after ${timeoutMs} ms`);
    }, timeoutMs);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => process.stderr.write(d));
    child.on('error', (err: NodeJS.ErrnoException) =>
      finish(undefined, err.code === 'ENOENT' ? `${python} not found` : err.message),
    );
    child.on('close', (code) => {
      if (code !== 0) return finish(undefined, `${python} exited with code ${code}`);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        finish(JSON.parse(last) as PythonPeerResults);
      } catch {
        finish(undefined, `could not parse output: ${last.slice(0, 200)}`);
      }
    });
  });
}
