/**
 * The seeded chaos loop: every 25–150 ms it injects the next fault of a shuffled bag holding every
 * kind once (so each kind comes within one bag of the start): terminate() or kill() a live soak
 * process, queue a bad Pool task (it exits, throws, or loops forever), crash or kill an actor of
 * the tree, or kill the worker thread hosting one. A fault with no victim at hand waits for the
 * next tick; the order of kinds is the seed's.
 */
import type { System } from 'troupe';
import { crash, kill, killHost } from 'troupe/testing';
import type { SoakContext } from './context.js';
import { describe } from './ledger.js';
import type { FaultKind } from './report.js';
import { TREE_NAMES } from './tree.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function chaosLoop(ctx: SoakContext, system: System, kinds: readonly FaultKind[]): Promise<void> {
  const rng = ctx.rng.fork(1);
  let bag: FaultKind[] = [];
  while (!ctx.stopping) {
    await sleep(rng.int(25, 150));
    if (ctx.stopping) break;
    if (bag.length === 0) bag = rng.shuffle(kinds);
    const kind = bag[0]!;
    if (await inject(ctx, system, kind, rng.next())) bag.shift();
  }
}

/** Injects one fault of `kind`; false when there was no victim for it this time. */
async function inject(ctx: SoakContext, system: System, kind: FaultKind, r: number): Promise<boolean> {
  switch (kind) {
    case 'process.terminate':
    case 'process.kill': {
      const live = [...ctx.victims].filter((p) => p.exitcode === null && p.isAlive());
      if (live.length === 0) return false;
      const p = live[Math.floor(r * live.length)]!;
      ctx.ended.add(p);
      if (kind === 'process.terminate') p.terminate();
      else p.kill();
      ctx.ledger.fault(kind);
      return true;
    }
    case 'pool.task-exit':
    case 'pool.task-throw':
    case 'pool.task-loop':
      // the pool workload submits it (and counts it) in its current or next round
      if (ctx.poolFaults.length > 4) return false;
      ctx.poolFaults.push(kind);
      return true;
    case 'actor.crash':
    case 'actor.kill':
    case 'actor.host-kill': {
      const ref = system.get(TREE_NAMES[Math.floor(r * TREE_NAMES.length)]!);
      if (!ref) return false;
      try {
        if (kind === 'actor.crash') await crash(ref);
        else if (kind === 'actor.kill') await kill(ref);
        else await killHost(ref);
      } catch (error) {
        // the actor exited between get() and the injection: the kit says so with NoProcError
        if (error instanceof Error && error.name === 'NoProcError') return false;
        ctx.ledger.fail('wrong', `${kind}: the testing kit threw ${describe(error)}`);
        return true;
      }
      ctx.ledger.fault(kind);
      return true;
    }
  }
}
