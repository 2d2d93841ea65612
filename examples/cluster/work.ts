// The worker actor of the cluster example: a pure function of its job, so any node (or the
// replacement a supervisor starts elsewhere) can take any job. Every node imports this module by
// the same path (examples/cluster/work.ts), so it must have no side effects.
import { createHash } from 'node:crypto';
import { defineActor } from 'troupe';

export const Hasher = defineActor({
  name: 'Hasher',
  init: () => ({ jobs: 0 }),
  receive: {
    job: (state, msg: { n: number }, ctx) => {
      let digest = String(msg.n);
      for (let i = 0; i < 2000; i++) digest = createHash('sha256').update(digest).digest('hex');
      ctx.reply({ node: ctx.system.node, digest: digest.slice(0, 12) });
      return { jobs: state.jobs + 1 };
    },
  },
});
