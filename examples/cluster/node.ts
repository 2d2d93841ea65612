// One node of the cluster example: `node --import tsx examples/cluster/node.ts <name> [lead]`.
// Every node joins the cluster `example` on NATS_URL (default nats://127.0.0.1:4222). The lead
// node supervises six Hashers placed with node: 'any' (spread over the live nodes) and sends them
// jobs; when a node dies, its Hashers count as killed and the supervisor starts them elsewhere.
import { createSystem, NoProcError, type ActorRef, type SupervisorEvent } from 'troupe';
import { Hasher } from './work.js';

const [name = `node-${process.pid}`, role] = process.argv.slice(2);
const system = await createSystem({
  hosts: 1,
  cluster: { servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', name: 'example', node: name, downAfter: 1500 },
});
system.on('nodeup', (node: string) => console.log(`[${name}] nodeup ${node}`));
system.on('nodedown', (node: string) => console.log(`[${name}] nodedown ${node}`));
process.on('SIGTERM', () => void system.shutdown().then(() => process.exit(0)));
console.log(`[${name}] joined the cluster`);

if (role === 'lead') {
  // wait for the two other nodes, so 'any' has somewhere to spread to
  while ((await system.nodes()).length < 3) await new Promise((resolve) => setTimeout(resolve, 100));
  const sup = await system.supervise({
    name: 'hashers',
    intensity: 10,
    period: 5000,
    children: Array.from({ length: 6 }, (_, i) => ({ id: `hasher-${i}`, start: Hasher, node: 'any', placement: 'main' as const })),
  });
  sup.on('event', (event: SupervisorEvent) => {
    if (event.type === 'restarted') console.log(`[${name}] ${event.id} restarted on a live node`);
  });
  const served = new Map<string, number>();
  const rounds = Number(process.env.ROUNDS ?? 40);
  for (let round = 0; round < rounds; round++) {
    const rows = await sup.whichChildren();
    const answers = await Promise.all(
      rows.map(async (row, i) => {
        if (typeof row.pid !== 'object' || row.pid === null) return 'restarting';
        try {
          const { node } = await (row.pid as ActorRef).ask<{ node: string }>({ type: 'job', n: round * 10 + i }, { timeout: 5000 });
          served.set(node, (served.get(node) ?? 0) + 1);
          return node;
        } catch (error) {
          if (error instanceof NoProcError) return 'lost (its node went down; asked again next round)';
          throw error;
        }
      }),
    );
    console.log(`[${name}] round ${round}: ${answers.join(', ')}`);
    process.send?.({ round });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log(`[${name}] jobs served per node: ${JSON.stringify(Object.fromEntries(served))}`);
  await sup.stop();
  process.send?.({ done: true });
}
