/**
 * The supervision tree: a one_for_one root over a one_for_all group, a rest_for_one group and a
 * lone worker, every worker an Echo actor on the shared hosts under a registered name. Askers ping
 * the names while the chaos loop crashes and kills them and their hosts: each ask must settle with
 * the number it sent, or with AskTimeoutError / NoProcError when its actor died meanwhile. At the
 * end the tree must be back to full strength: every child running and answering.
 */
import { AskTimeoutError, NoProcError, type Supervisor, type System } from 'troupe';
import { Echo } from './actors.js';
import type { SoakContext } from './context.js';

export const TREE_NAMES = ['soak-a1', 'soak-a2', 'soak-a3', 'soak-b1', 'soak-b2', 'soak-b3', 'soak-c1'] as const;

const ASK_TIMEOUT_MS = 5000;
// enough restarts for any chaos rate the soak uses: the tree itself must never give up
const INTENSITY = { intensity: 10_000, period: 1000 };

const worker = (name: string) => ({ id: name, start: Echo, name, shutdown: 2000 });

export function superviseTree(system: System): Promise<Supervisor> {
  return system.supervise({
    name: 'soak-root',
    strategy: 'one_for_one',
    ...INTENSITY,
    children: [
      { id: 'group-a', type: 'supervisor', start: { name: 'soak-group-a', strategy: 'one_for_all', ...INTENSITY, children: TREE_NAMES.slice(0, 3).map(worker) } },
      { id: 'group-b', type: 'supervisor', start: { name: 'soak-group-b', strategy: 'rest_for_one', ...INTENSITY, children: TREE_NAMES.slice(3, 6).map(worker) } },
      worker('soak-c1'),
    ],
  } as Parameters<System['supervise']>[0]);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Pings the tree's names until the soak stops. */
export async function asker(ctx: SoakContext, system: System, stream: number): Promise<void> {
  const rng = ctx.rng.fork(100 + stream);
  let n = stream * 1_000_000_000;
  while (!ctx.stopping) {
    const name = rng.pick(TREE_NAMES);
    const ref = system.get(name);
    if (!ref) {
      ctx.ledger.count('ask.name-restarting', 'expectedError');
      await pause(5);
      continue;
    }
    const sent = ++n;
    const { value } = await ctx.ledger.track(
      'actor.ask',
      ref.ask<number>({ type: 'ping', n: sent }, { timeout: ASK_TIMEOUT_MS }),
      (e) => (e instanceof NoProcError || e instanceof AskTimeoutError ? 'expectedError' : 'ask rejected'),
      name,
    );
    if (value !== undefined && value !== sent) ctx.ledger.fail('wrong', `${name} answered ${String(value)} to ping ${sent}`);
    if (sent % 16 === 0) await pause(1);
  }
}

/** Waits (bounded) until every child of the tree runs and answers; false if it never does. */
export async function backToFullStrength(system: System, root: Supervisor, withinMs: number): Promise<{ full: boolean; detail: string }> {
  const deadline = Date.now() + withinMs;
  let detail = '';
  while (Date.now() < deadline) {
    const counts = await root.countChildren();
    const refs = TREE_NAMES.map((name) => system.get(name));
    const missing = TREE_NAMES.filter((_, i) => !refs[i]);
    if (counts.active === counts.specs && missing.length === 0) {
      const answers = await Promise.allSettled(refs.map((ref, i) => ref!.ask<number>({ type: 'ping', n: i }, { timeout: 2000 })));
      if (answers.every((a, i) => a.status === 'fulfilled' && a.value === i)) return { full: true, detail: '' };
      detail = 'not every child answered';
    } else {
      detail = `root has ${counts.active}/${counts.specs} children active; names without an actor: ${missing.join(', ') || 'none'}`;
    }
    await pause(100);
  }
  return { full: false, detail };
}
