// An actor definition lives in its own module: workers import it, so it must have no side effects
// (troupe's version of Python's `if __name__ == '__main__'` rule).
import { defineActor } from 'troupe';

export const Counter = defineActor({
  name: 'Counter',
  init: (_ctx, start: number) => ({ n: start }),
  receive: {
    inc: (state: { n: number }, msg: { by: number }) => ({ n: state.n + msg.by }),
    get: (state: { n: number }, _msg, ctx) => {
      ctx.reply(state.n);
      return state;
    },
    crash: () => {
      throw new Error('crashed on purpose');
    },
  },
});
