// The request handler actor of the HTTP service example: a pure function of the request, so any
// worker (or its restarted replacement) can answer any request. Exported so worker threads load it.
import { createHash } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { defineActor } from 'troupe';

interface HandlerState {
  index: number;
  served: number;
}

export const Handler = defineActor({
  name: 'Handler',
  init: (_ctx, index: number): HandlerState => ({ index, served: 0 }),
  receive: {
    handle: (state: HandlerState, msg: { path: string }, ctx) => {
      // a little CPU work per request: hash the path 200 times
      let digest = msg.path;
      for (let i = 0; i < 200; i++) digest = createHash('sha256').update(digest).digest('hex');
      ctx.reply({ worker: state.index, thread: threadId, digest: digest.slice(0, 16) });
      return { ...state, served: state.served + 1 };
    },
  },
});
