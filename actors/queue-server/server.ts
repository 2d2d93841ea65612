/**
 * The queue server: one actor in the main thread per Queue, JoinableQueue, SimpleQueue or Pipe
 * (placement 'main'). It holds the contents, so they survive any worker's death; it parks blocked
 * getters, putters and joiners (deferReply) and times them out; items leave in claimable batches
 * (claims.ts). Its messages are `ToServer` (protocol.ts); its state is QueueState.
 */
import { defineActor } from '../../src/define.js';
import type { ActorContext } from '../../src/types.js';
import { UNFINISHED, type QueueStats, type ServerConfig, type ToServer } from './protocol.js';
import { QueueState, type Reply, type ServerRegistry } from './queue-state.js';

function defer(ctx: ActorContext): Reply {
  return ctx.deferReply!() ?? (() => {});
}

export const QueueServer = defineActor<QueueState, ToServer>({
  name: 'QueueServer',
  /** `servers`: the system's live servers and its ring reader (the extension, by reference in main) */
  init: (ctx: ActorContext, config: ServerConfig, servers: ServerRegistry) => {
    const q = new QueueState(config, ctx, servers.readRings);
    const id = ctx.self.id;
    servers.live.set(id, q);
    ctx.signal.addEventListener('abort', () => {
      servers.live.delete(id);
      q.stop();
    });
    return q;
  },
  receive: {
    putMany: (q, msg) => {
      q.put(0, msg.items);
      return q;
    },
    putWait: (q, msg, ctx) => {
      const key = q.keyOf(ctx, msg.site);
      q.watch(ctx, key);
      q.putWait(msg.item, key, msg.timeout, defer(ctx));
      return q;
    },
    get: (q, msg, ctx) => {
      const key = q.keyOf(ctx, msg.site);
      q.watch(ctx, key);
      q.get(msg.channel, key, msg.block, msg.timeout, defer(ctx));
      return q;
    },
    poll: (q, msg, ctx) => {
      const key = q.keyOf(ctx, msg.site);
      q.watch(ctx, key);
      q.poll(msg.channel, key, msg.timeout, msg.tag, defer(ctx));
      return q;
    },
    cancel: (q, msg) => {
      q.cancel(msg.tag);
      return q;
    },
    taken: (q) => {
      q.admitPutters();
      return q;
    },
    giveBack: (q, msg) => {
      q.returned(msg.batch);
      return q;
    },
    done: (q) => {
      q.releaseJoiners();
      return q;
    },
    join: (q, _msg, ctx) => {
      q.joiners.push(defer(ctx));
      // Items are counted as they arrive here: puts another thread made before this join may
      // still wait in its ring. Read them now, and decide behind them.
      q.readRings();
      ctx.self.send({ type: 'joinCheck' });
      return q;
    },
    joinCheck: (q) => {
      if (Atomics.load(q.counts, UNFINISHED) === 0) q.releaseJoiners();
      return q;
    },
    shutdown: (q, msg, ctx) => {
      q.shutdown(msg.immediate);
      ctx.reply(undefined);
      return q;
    },
    stats: (q, _msg, ctx) => {
      const stats: QueueStats = {
        items: q.channels.map((channel) => channel.items.length),
        outstanding: q.batches.outstanding.size,
        waiters: q.channels.reduce((n, channel) => n + channel.waiters.length, 0),
        putters: q.putters.length,
        consumers: [],
      };
      if (q.pipe) stats.copies = q.pipe.counts2();
      ctx.reply(stats);
      return q;
    },
    sendMany: (q, msg) => {
      q.put(1 - msg.end, msg.items);
      return q;
    },
    copy: (q, msg, ctx) => {
      if (q.pipe?.add(msg.end, msg.copy, msg.holder)) q.watch(ctx, q.pipe.holderOf(msg.copy)!);
      return q;
    },
    transfer: (q, msg, ctx) => {
      q.pipe?.transfer(msg.copy, msg.holder);
      q.watch(ctx, msg.holder);
      return q;
    },
    close: (q, msg) => {
      q.closeCopy(msg.copy);
      return q;
    },
    DOWN: (q, msg) => {
      q.down(msg.ref.id);
      return q;
    },
  },
});
