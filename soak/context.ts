/**
 * What every workload shares: the ledger, the processes the chaos loop may end, the Pool faults
 * it has asked for, and the stop flag. Processes are started and joined here, so that every
 * join is tracked and every live process is a possible victim.
 */
import { Process } from 'troupe/multiprocessing';
import type { Ledger } from './ledger.js';
import type { Prng } from './prng.js';
import type { FaultKind } from './report.js';

export type PoolFault = Extract<FaultKind, 'pool.task-exit' | 'pool.task-throw' | 'pool.task-loop'>;

/** Exit codes a process of the soak may end with: 0, or the chaos loop's terminate()/kill(). */
const CHAOS_CODES = new Set([-15, -9]);

export class SoakContext {
  // plain fields, not #private ones: forWorkload() views reach them through the prototype
  readonly shared = { stopping: false, onStop: new Set<() => void>() };
  readonly victims = new Set<Process>();
  readonly poolFaults: PoolFault[] = [];
  /** Processes the chaos loop ended, for the accounting of what they left undone. */
  readonly ended = new WeakSet<Process>();

  constructor(
    readonly ledger: Ledger,
    readonly rng: Prng,
  ) {}

  get stopping(): boolean {
    return this.shared.stopping;
  }

  /** Tells the workloads to finish their current rounds (and calls what they asked for). */
  stop(): void {
    this.shared.stopping = true;
    for (const fn of this.shared.onStop) fn();
  }

  onStop(fn: () => void): void {
    if (this.shared.stopping) fn();
    else this.shared.onStop.add(fn);
  }

  offStop(fn: () => void): void {
    this.shared.onStop.delete(fn);
  }

  /** A view for one workload: the same shared state, its own stream of random choices. */
  forWorkload(salt: number): SoakContext {
    const view = Object.create(this) as SoakContext;
    Object.defineProperty(view, 'rng', { value: this.rng.fork(salt) });
    return view;
  }

  /** Starts a process the chaos loop may terminate or kill. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  start(target: (...args: any[]) => unknown, args: unknown[], name: string): Process {
    const p = new Process({ target, args, name });
    p.start();
    this.victims.add(p);
    return p;
  }

  /**
   * Joins `p` (tracked, so a join that never settles is a hang) and checks its exit code:
   * 0, or -15/-9 when the chaos loop ended it. Resolves the exit code.
   */
  async join(p: Process, kind: string): Promise<number | null> {
    await this.ledger.track(`${kind}.join`, p.join(), () => 'join() rejected', p.name, true);
    this.victims.delete(p);
    const code = p.exitcode;
    if (code !== 0 && !(code !== null && CHAOS_CODES.has(code) && this.ended.has(p))) {
      this.ledger.fail('wrong', `${p.name} (pid ${p.pid}) exited with code ${code}${this.ended.has(p) ? ' after a chaos signal' : ''}, ${(performance.now() / 1000).toFixed(1)} s into the run`);
    }
    return code;
  }
}
