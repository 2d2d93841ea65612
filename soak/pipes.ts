/**
 * Pipe rounds: a sender process writes 0..n-1 down a one-way pipe while main reads until EOF.
 * Main closes its copy of the writing end right after start(), so EOF comes when the sender
 * closes or dies. What arrived must be exactly 0..m-1, once each and in order, with m = n if the
 * sender finished, else the number of its sends that had returned or one more.
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
  const seen = new Uint8Array(count);
  let received = 0;
  let last = -1;
  let misordered = false;
  for (;;) {
    const { value, error } = await ctx.ledger.track('pipe.recv', reader.recv(), (e) => (e instanceof EOFError ? 'expectedError' : 'recv rejected'), what);
    if (error) break;
    received++;
    if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < count)) {
      ctx.ledger.fail('wrong', `${what}: received ${String(value)}, never sent`);
      continue;
    }
    if (seen[value]! > 0) ctx.ledger.fail('duplicated', `${what}: message ${value} arrived twice`);
    seen[value] = 1;
    if (value < last && !misordered) {
      misordered = true;
      ctx.ledger.fail('wrong', `${what}: message ${value} arrived after ${last} (a pipe is FIFO)`);
    }
    last = Math.max(last, value);
  }
  reader.close();
  const code = await ctx.join(p, 'pipe.sender');
  // every send that had returned must have arrived; the one in flight when the sender died may have
  const acknowledged = code === 0 ? count : Atomics.load(acked, 0);
  let missing = 0;
  for (let i = 0; i < acknowledged; i++) if (seen[i] === 0) missing++;
  if (missing > 0) ctx.ledger.fail('lost', `${what}: ${missing} of the ${acknowledged} sends that had returned${code === 0 ? '' : ' when the sender died'} never arrived before EOF`, missing);
  if (last > acknowledged) ctx.ledger.fail('duplicated', `${what}: message ${last} arrived, but only ${acknowledged} sends had returned when the sender died`);
  ctx.ledger.count('pipe.message', 'ok', received);
}
