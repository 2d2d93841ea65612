/** The actor the cluster rows talk to on the other node (imported there by the same path). */
import { defineActor } from 'troupe';

export const Far = defineActor({
  name: 'Far',
  init: () => ({ count: 0 }),
  receive: {
    echo: (state, msg: { value: unknown }, ctx) => {
      ctx.reply(msg.value);
      return state;
    },
    note: (state) => {
      state.count++;
      return state;
    },
    count: (state, _msg, ctx) => {
      ctx.reply(state.count);
      return state;
    },
  },
});
