/**
 * Pipe rounds: a sender process writes 0..n-1 down a one-way pipe while main reads until EOF.
 * Main closes its copy of the writing end right after start(), so EOF comes when the sender
 * closes or dies. What arrived must be exactly 0..m-1 in order, with m = n if the sender
 * finished, else the number of its sends that had returned or one more.
 */
import { EOFError, Pipe } from 'troupe/multiprocessing';
import type { SoakContext } from './context.js';
import { pipeSender } from './targets.js';

export async function pipeRound(ctx: SoakContext, round: number): Promise<void> {
  const count = ctx.rng.int(100, 1000);
  const [reader, writer] = Pipe<number>(false);
  const acked = new Int32Array(new SharedArrayBuffer(4));
  const p = ctx.start(pipeSender, [writer, acked, 0, count], `pipe${round}-sender`);
  writer.close();
  const what = `Pipe round ${round}`;
  let next = 0;
  let misordered = false;
  for (;;) {
    const { value, error } = await ctx.ledger.track('pipe.recv', reader.recv(), (e) => (e instanceof EOFError ? 'expectedError' : 'recv rejected'), what);
    if (error) break;
    if (value !== next && !misordered) {
      misordered = true;
      if (typeof value === 'number' && value < next) ctx.ledger.fail('duplicated', `${what}: message ${value} arrived again after ${next - 1}`);
      else ctx.ledger.fail('lost', `${what}: expected message ${next}, got ${String(value)}`);
    }
    next++;
  }
  reader.close();
  const code = await ctx.join(p, 'pipe.sender');
  const sent = Atomics.load(acked, 0);
  const finished = code === 0;
  if (finished && next !== count) ctx.ledger.fail(next < count ? 'lost' : 'duplicated', `${what}: the sender finished ${count} sends, ${next} arrived before EOF`);
  if (!finished && next < sent) ctx.ledger.fail('lost', `${what}: ${sent} sends had returned when the sender died, ${next} arrived before EOF`, sent - next);
  if (!finished && next > sent + 1) ctx.ledger.fail('duplicated', `${what}: ${sent} sends had returned when the sender died, ${next} arrived`);
  ctx.ledger.count('pipe.message', 'ok', next);
}
