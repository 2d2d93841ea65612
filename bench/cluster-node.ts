/**
 * The other node of the cluster rows, in its own process: a troupe node in the cluster `bench`,
 * and beside it the raw NATS peer on the same server (an echo responder, a one-way counter).
 */
import { connect } from '@nats-io/transport-node';
import pino from 'pino';
import { createSystem } from 'troupe';

const url = process.env.NATS_URL!;
const system = await createSystem({ hosts: 1, logger: pino({ level: 'silent' }), cluster: { servers: url, name: 'bench', node: 'far' } });
const raw = await connect({ servers: url });
let count = 0;
raw.subscribe('bench.echo', { callback: (_error, msg) => void msg.respond(msg.data) });
raw.subscribe('bench.oneway', { callback: () => void count++ });
raw.subscribe('bench.count', { callback: (_error, msg) => void msg.respond(String(count)) });
await raw.flush();
process.send!('ready');
process.on('message', () => {
  void Promise.all([raw.close(), system.shutdown()]).then(() => process.exit(0));
});
