/**
 * Actor definitions the troupe benchmarks spawn (see bench/troupe-rows.ts). Worker threads import
 * this module to find a definition by its export name, so it only defines things: no side effects
 * at import. Every actor here is written with the public `defineActor` API, like user code.
 */
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { defineActor, type ActorContext, type ActorDefinition, type ActorRef, type Placement } from 'troupe';

type Done = ((ok: boolean, value: unknown) => void) | undefined;

/** An idle actor: the same shape as the xstate peer's idle machine (`{ n }`, one counting event). */
export const Idle = defineActor({
  name: 'Idle',
  init: () => ({ n: 0 }),
  receive: {
    ping: (state: { n: number }) => {
      state.n++;
      return state;
    },
  },
});

interface PingerState {
  peer: ActorRef | null;
  n: number;
  limit: number;
  done: Done;
  t0: number;
}

/**
 * Ping-pong driver. Ask `{ type: 'go', peer, limit }`: it pings `peer`, counts the pings coming
 * back and, after `limit` of them, answers the ask with the elapsed ms (timed in its own thread).
 */
export const Pinger = defineActor({
  name: 'Pinger',
  init: (): PingerState => ({ peer: null, n: 0, limit: 0, done: undefined, t0: 0 }),
  receive: {
    go: (state: PingerState, msg: { peer: ActorRef; limit: number }, ctx: ActorContext) => {
      state.peer = msg.peer;
      state.limit = msg.limit;
      state.n = 0;
      state.done = ctx.deferReply!();
      state.t0 = performance.now();
      ctx.send(msg.peer, { type: 'ping' });
      return state;
    },
    ping: (state: PingerState, _msg: unknown, ctx: ActorContext) => {
      if (++state.n < state.limit) {
        ctx.send(state.peer!, { type: 'ping' });
      } else {
        state.done?.(true, performance.now() - state.t0);
        state.done = undefined;
      }
      return state;
    },
  },
});

/** Ping-pong reflector: every ping goes straight back to the peer given at spawn. */
export const Ponger = defineActor({
  name: 'Ponger',
  init: (_ctx: ActorContext, peer: ActorRef) => ({ peer }),
  receive: {
    ping: (state: { peer: ActorRef }, _msg: unknown, ctx: ActorContext) => {
      ctx.send(state.peer, { type: 'ping' });
      return state;
    },
  },
});

interface SinkState {
  n: number;
  expect: number;
  done: Done;
}

/**
 * Counts `{ type: 'm' }` messages. Ask `expect { n }` to arm it (resets the count), then ask
 * `wait`: answered with the count once `n` messages arrived.
 */
export const Sink = defineActor({
  name: 'Sink',
  init: (): SinkState => ({ n: 0, expect: Infinity, done: undefined }),
  receive: {
    where: (state: SinkState, _msg: unknown, ctx: ActorContext) => {
      ctx.reply(threadId);
      return state;
    },
    expect: (state: SinkState, msg: { n: number }, ctx: ActorContext) => {
      state.n = 0;
      state.expect = msg.n;
      state.done = undefined;
      ctx.reply(true);
      return state;
    },
    wait: (state: SinkState, _msg: unknown, ctx: ActorContext) => {
      if (state.n >= state.expect) ctx.reply(state.n);
      else state.done = ctx.deferReply!();
      return state;
    },
    m: (state: SinkState) => {
      if (++state.n === state.expect && state.done) {
        state.done(true, state.n);
        state.done = undefined;
      }
      return state;
    },
  },
});

/** Sends `n` one-way messages `{ type: 'm', i }` to `to`, in one handler turn (a plain loop). */
export const Source = defineActor({
  name: 'Source',
  init: () => null,
  receive: {
    where: (state: null, _msg: unknown, ctx: ActorContext) => {
      ctx.reply(threadId);
      return state;
    },
    blast: (state: null, msg: { to: ActorRef; n: number }) => {
      const to = msg.to;
      for (let i = 0; i < msg.n; i++) to.send({ type: 'm', i });
      return state;
    },
  },
});

/** Answers `echo` asks with the message's `i`. */
export const Echo = defineActor({
  name: 'Echo',
  init: () => null,
  receive: {
    where: (state: null, _msg: unknown, ctx: ActorContext) => {
      ctx.reply(threadId);
      return state;
    },
    echo: (state: null, msg: { i: number }, ctx: ActorContext) => {
      ctx.reply(msg.i);
      return state;
    },
  },
});

/**
 * Ask `{ type: 'run', to, n }`: does `n` sequential asks to `to` (an Echo) and answers with the
 * elapsed ms, timed in its own thread.
 */
export const Asker = defineActor({
  name: 'Asker',
  init: () => null,
  receive: {
    where: (state: null, _msg: unknown, ctx: ActorContext) => {
      ctx.reply(threadId);
      return state;
    },
    run: async (state: null, msg: { to: ActorRef; n: number }, ctx: ActorContext) => {
      const done = ctx.deferReply!();
      const to = msg.to;
      try {
        const t0 = performance.now();
        for (let i = 0; i < msg.n; i++) await to.ask({ type: 'echo', i });
        done?.(true, performance.now() - t0);
      } catch (error) {
        done?.(false, error);
      }
      return state;
    },
  },
});

/**
 * Ask `{ type: 'spawnMany', n, placement }`: spawns `n` Idle children through `ctx.spawn` (all in
 * flight at once) and answers `{ ms, refs }`, timed in its own thread. From a worker every
 * spawn is a kernel call to main, which places the child and waits for its host to start it.
 */
export const Spawner = defineActor({
  name: 'Spawner',
  init: () => null,
  receive: {
    where: (state: null, _msg: unknown, ctx: ActorContext) => {
      ctx.reply(threadId);
      return state;
    },
    spawnMany: async (state: null, msg: { n: number; placement: Placement }, ctx: ActorContext) => {
      const done = ctx.deferReply!();
      try {
        const def: ActorDefinition = Idle;
        const t0 = performance.now();
        const spawns = new Array<Promise<ActorRef>>(msg.n);
        for (let i = 0; i < msg.n; i++) spawns[i] = ctx.spawn(def, { placement: msg.placement });
        const refs = await Promise.all(spawns);
        done?.(true, { ms: performance.now() - t0, refs });
      } catch (error) {
        done?.(false, error);
      }
      return state;
    },
  },
});
