/**
 * Queue and JoinableQueue rounds. Producers are processes (the chaos loop may end them); each
 * records in shared memory how many of its puts resolved, so after the round producer `p` must
 * have delivered exactly items 0..n-1 once each, with n = its count if it finished, else its
 * acknowledged puts or one more (the put in flight when it died). A Queue's consumers are
 * processes too (a consumer killed between get() and recording leaves at most one item in hand);
 * a JoinableQueue is consumed in main with taskDone(), and its join() must settle.
 */
import { Empty, JoinableQueue, Queue, type Process } from 'troupe/multiprocessing';
import type { SoakContext } from './context.js';
import { consumer, producer, type Item } from './targets.js';

const PRODUCERS = 2;
const CONSUMERS = 2;

/**
 * Checks producer `slot`'s deliveries (received[slot * stride + i] for every i) and returns how
 * many missing items it excused as in the hands of killed consumers (at most `allowInHand`).
 */
function account(ctx: SoakContext, what: string, received: Int32Array, stride: number, slot: number, acked: number, finished: boolean, allowInHand: number): number {
  const { ledger } = ctx;
  let reach = 0;
  for (let i = 0; i < stride; i++) {
    const n = received[slot * stride + i]!;
    if (n > 1) ledger.fail('duplicated', `${what}: item [${slot}, ${i}] received ${n} times`);
    if (n > 0) reach = i + 1;
  }
  if (!finished && reach > acked + 1) ledger.fail('duplicated', `${what}: producer ${slot} had ${acked} puts resolved when it died, yet item ${reach - 1} arrived`);
  const required = Math.max(finished ? stride : acked, reach);
  let missing = 0;
  for (let i = 0; i < required; i++) if (received[slot * stride + i] === 0) missing++;
  const excused = Math.min(missing, allowInHand);
  ledger.inHandOfKilled += excused;
  if (missing > excused) ledger.fail('lost', `${what}: producer ${slot} (${finished ? 'finished' : `died after ${acked} puts resolved`}) is missing ${missing} of items 0..${required - 1}`, missing - excused);
  return excused;
}

export async function queueRound(ctx: SoakContext, round: number): Promise<void> {
  const count = ctx.rng.int(50, 300);
  const q = new Queue<Item>(ctx.rng.int(0, 1) === 0 ? 0 : 16);
  const acked = new Int32Array(new SharedArrayBuffer(4 * PRODUCERS));
  const received = new Int32Array(new SharedArrayBuffer(4 * PRODUCERS * count));
  const producers = Array.from({ length: PRODUCERS }, (_, slot) => ctx.start(producer, [q, acked, slot, count], `q${round}-producer-${slot}`));
  // a consumer the chaos loop ends is replaced while producers run (a bounded queue would stall)
  const consumers: Process[] = [];
  const joins: Promise<unknown>[] = [];
  let producing = true;
  const startConsumer = (): void => {
    const p = ctx.start(consumer, [q, received, count], `q${round}-consumer-${consumers.length}`);
    consumers.push(p);
    joins.push(ctx.join(p, 'queue.consumer').then(() => producing && startConsumer()));
  };
  for (let i = 0; i < CONSUMERS; i++) startConsumer();
  const produced = await Promise.all(producers.map((p) => ctx.join(p, 'queue.producer')));
  producing = false;
  // one stop signal per live consumer; one whose consumer dies meanwhile is drained below
  const live = consumers.filter((p) => p.exitcode === null).length;
  for (let i = 0; i < live; i++) await ctx.ledger.track('queue.put', q.put(null), () => 'put rejected');
  for (let n = 0; n < joins.length; ) {
    const batch = joins.slice(n);
    n = joins.length;
    await Promise.all(batch);
  }
  const killedConsumers = consumers.filter((p) => p.exitcode !== 0).length;
  for (;;) {
    const { value, error } = await ctx.ledger.track('queue.get', q.getNowait(), (e) => (e instanceof Empty ? 'ok' : 'getNowait rejected'));
    if (error) break;
    if (value) received[value[0] * count + value[1]]! += 1;
  }
  let inHand = killedConsumers;
  for (let slot = 0; slot < PRODUCERS; slot++) {
    const finished = produced[slot] === 0;
    inHand -= account(ctx, `Queue round ${round}`, received, count, slot, Atomics.load(acked, slot), finished, inHand);
  }
  let items = 0;
  for (const n of received) items += n;
  ctx.ledger.count('queue.item', 'ok', items);
  q.close();
}

export async function joinableRound(ctx: SoakContext, round: number): Promise<void> {
  const count = ctx.rng.int(50, 300);
  const q = new JoinableQueue<Item>();
  const acked = new Int32Array(new SharedArrayBuffer(4 * PRODUCERS));
  const received = new Int32Array(PRODUCERS * count);
  const producers = Array.from({ length: PRODUCERS }, (_, slot) => ctx.start(producer, [q, acked, slot, count], `jq${round}-producer-${slot}`));
  let producing = true;
  const consume = async (): Promise<void> => {
    for (;;) {
      const wasProducing = producing;
      const { value, error } = await ctx.ledger.track('joinable.get', q.get({ timeout: 100 }), (e) => (e instanceof Empty ? 'expectedError' : 'get rejected'));
      if (error) {
        if (!wasProducing) return;
        continue;
      }
      if (value) received[value[0] * count + value[1]]! += 1;
      q.taskDone();
    }
  };
  const consumers = [consume(), consume()];
  const produced = await Promise.all(producers.map((p) => ctx.join(p, 'joinable.producer')));
  producing = false;
  await Promise.all(consumers);
  await ctx.ledger.track('joinable.join', q.join(), () => 'join rejected', `JoinableQueue round ${round}`);
  for (let slot = 0; slot < PRODUCERS; slot++) {
    account(ctx, `JoinableQueue round ${round}`, received, count, slot, Atomics.load(acked, slot), produced[slot] === 0, 0);
  }
  let items = 0;
  for (const n of received) items += n;
  ctx.ledger.count('joinable.item', 'ok', items);
  q.close();
}
