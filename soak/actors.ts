/**
 * The actor the soak's supervision tree is made of (exported so its shared hosts can load it):
 * it answers a ping with the number it was sent, and counts the pings it answered.
 */
import { defineActor } from 'troupe';

export const Echo = defineActor({
  name: 'SoakEcho',
  init: () => ({ pings: 0 }),
  receive: {
    ping: (state: { pings: number }, msg: { n: number }, ctx) => {
      ctx.reply(msg.n);
      return { pings: state.pings + 1 };
    },
  },
});
