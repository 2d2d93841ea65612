/**
 * The soak runner (a child of the launcher, soak/index.ts): starts the workloads, the askers and
 * the chaos loop, stops them after `--seconds`, waits (bounded) for every operation to settle,
 * checks the tree, shuts the systems down and reports over IPC. Its stdout carries only the
 * runtime's pino JSON lines, which the launcher checks one by one.
 */
import pino from 'pino';
import { createSystem, defaultSystem } from 'troupe';
import { SoakContext } from './context.js';
import { chaosLoop } from './chaos.js';
import { describe, Ledger } from './ledger.js';
import { parseOptions } from './options.js';
import { pipeRound } from './pipes.js';
import { poolRound } from './pool.js';
import { Prng } from './prng.js';
import { joinableRound, queueRound } from './queues.js';
import { faultKinds, type RunnerMessage } from './report.js';
import { syncRound } from './sync.js';
import { asker, backToFullStrength, superviseTree } from './tree.js';

const options = parseOptions(process.argv.slice(2));
const send = (message: RunnerMessage): void => void process.send?.(message);
const ledger = new Ledger(options.hungMs);
const ctx = new SoakContext(ledger, new Prng(options.seed));
const started = performance.now();

const system = await createSystem({ name: 'soak', hosts: 2, logger: pino({ level: 'info' }) });
const root = await superviseTree(system);

async function loop(name: string, salt: number, round: (ctx: SoakContext, n: number) => Promise<void>): Promise<void> {
  const view = ctx.forWorkload(salt);
  for (let n = 0; !ctx.stopping; n++) {
    try {
      await round(view, n);
      ledger.count(`${name}.round`);
    } catch (error) {
      ledger.fail('wrong', `${name} round ${n} threw ${describe(error)}`);
    }
  }
}

const progress = setInterval(() => {
  ledger.watch();
  send({ type: 'progress', elapsedMs: performance.now() - started, ops: ledger.totalOps(), faults: ledger.totalFaults(), failures: ledger.failureCount() });
}, 1000);

const only = new Set(options.only);
const ROUNDS = [
  ['queue', queueRound],
  ['joinable', joinableRound],
  ['pipe', pipeRound],
  ['sync', syncRound],
  ['pool', poolRound],
] as const;
const rounds = ROUNDS.filter(([name]) => only.has(name));
const workloads = [
  ...rounds.map(([name, round]) => loop(name, 1 + ROUNDS.findIndex(([n]) => n === name), round)),
  ...(only.has('tree') ? [asker(ctx, system, 0), asker(ctx, system, 1)] : []),
];
const chaos = chaosLoop(ctx, system, faultKinds(only));

await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
// a run injects every kind of fault and finishes a round of every workload at least once: a short
// run on a slow machine goes on (bounded)
const unfinished = (): boolean => faultKinds(only).some((kind) => ledger.faults[kind] === 0) || rounds.some(([name]) => !ledger.ops.get(`${name}.round`)?.ok);
const extraUntil = performance.now() + options.hungMs;
while (unfinished() && performance.now() < extraUntil) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
ctx.stop();
await chaos;
// every round finishes what it started; anything still pending past the bound is hung
let bound: NodeJS.Timeout | undefined;
await Promise.race([Promise.all(workloads), new Promise((resolve) => (bound = setTimeout(resolve, options.hungMs + 5000)))]);
clearTimeout(bound);
ledger.watch();
const tree = await backToFullStrength(system, root, 20_000);
if (!tree.full) ledger.failures.push(`tree not back to full strength: ${tree.detail}`);
const elapsedMs = performance.now() - started;
clearInterval(progress);

await system.shutdown();
await defaultSystem().shutdown();
send({ type: 'report', report: ledger.report({ seed: options.seed, seconds: options.seconds, elapsedMs, treeFull: tree.full }) });
process.disconnect?.();
