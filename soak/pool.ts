/**
 * Pool rounds: a Pool(2) maps square over a range while single tasks run beside it, among them
 * the bad tasks the chaos loop asked for. Each result must be exactly right: x*x for a good
 * task, the task's own error for one that throws, BrokenWorkerError for one that kills its
 * worker (and for no other), TimeoutError from get(timeout) for one that loops forever — after
 * which the round terminates the pool, and everything still pending must reject RuntimeError.
 */
import { BrokenWorkerError, Pool, RuntimeError, TimeoutError, type AsyncResult } from 'troupe/multiprocessing';
import type { PoolFault, SoakContext } from './context.js';
import type { Outcome } from './ledger.js';
import { boom, die, spin, square } from './targets.js';

const LOOP_TIMEOUT_MS = 300;

export async function poolRound(ctx: SoakContext, round: number): Promise<void> {
  const { ledger, rng } = ctx;
  const pool = new Pool(2);
  let terminated = false;
  const afterTerminate = (error: unknown): Outcome | string => (terminated && error instanceof RuntimeError ? 'expectedError' : 'rejected');
  const xs = Array.from({ length: rng.int(20, 80) }, (_, i) => i + round);
  const mapped = ledger.track('pool.map', pool.map(square, xs, rng.int(1, 4)), afterTerminate, `Pool round ${round}`).then(({ value }) => {
    if (value && value.some((y, i) => y !== xs[i]! * xs[i]!)) ledger.fail('wrong', `Pool round ${round}: map returned ${JSON.stringify(value).slice(0, 80)}`);
  });
  const faults = ctx.poolFaults.splice(0);
  const plan: Array<PoolFault | 'good'> = rng.shuffle([...faults, ...Array.from({ length: rng.int(4, 12) }, () => 'good' as const)]);
  const singles: Promise<void>[] = [];
  const looping: AsyncResult<never>[] = [];
  for (const [i, kind] of plan.entries()) {
    const x = round * 100 + i;
    if (kind === 'good') {
      singles.push(
        ledger.track('pool.apply', pool.apply(square, [x]), afterTerminate).then(({ value }) => {
          if (value !== undefined && value !== x * x) ledger.fail('wrong', `Pool round ${round}: square(${x}) = ${String(value)}`);
        }),
      );
      continue;
    }
    ledger.fault(kind);
    if (kind === 'pool.task-throw') {
      const expected = (e: unknown): Outcome | string => (e instanceof Error && e.name === 'Error' && e.message === `boom ${x}` ? 'expectedError' : afterTerminate(e));
      singles.push(ledger.track('pool.apply-throw', pool.apply(boom, [x]), expected).then(({ error }) => void (error || ledger.fail('wrong', `boom(${x}) resolved`))));
    } else if (kind === 'pool.task-exit') {
      const expected = (e: unknown): Outcome | string => (e instanceof BrokenWorkerError ? 'expectedError' : afterTerminate(e));
      singles.push(ledger.track('pool.apply-exit', pool.apply(die, [3]), expected).then(({ error }) => void (error || ledger.fail('wrong', 'a task calling process.exit resolved'))));
    } else {
      looping.push(pool.applyAsync(spin, []));
    }
  }
  if (looping.length) {
    for (const result of looping) {
      const { error } = await ledger.track('pool.get-timeout', result.get(LOOP_TIMEOUT_MS), (e) => (e instanceof TimeoutError ? 'expectedError' : 'get(timeout) rejected'));
      if (!error) ledger.fail('wrong', 'a task looping forever resolved');
    }
    terminated = true;
    pool.terminate();
    for (const result of looping) await ledger.track('pool.get-terminated', result.get(), (e) => (e instanceof RuntimeError ? 'expectedError' : 'rejected'));
  }
  await Promise.all([mapped, ...singles]);
  if (!terminated) pool.close();
  await ledger.track('pool.join', pool.join(), () => 'join rejected', `Pool round ${round}`);
}
