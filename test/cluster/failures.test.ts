import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSystem, NoProcError, type System } from '../../src/index.js';
import { Recorder } from '../fixtures/cluster/actors.js';
import { MUST_RUN, NatsServer, NO_NATS, NodeProcess, nextEvent, Proxy, seen } from './harness.js';

if (NO_NATS && MUST_RUN) it('runs the cluster tests (CI=true)', () => expect.fail(NO_NATS));

/** A logger whose records the test can read. */
function capture(): { logger: pino.Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      records.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), records };
}

describe.skipIf(NO_NATS !== undefined)(`cluster failures${NO_NATS ? ` (skipped: ${NO_NATS})` : ''}`, () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await NodeProcess.killAll();
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function cluster(name: string, options: { maxPayload?: number; downAfter?: number; via?: 'proxy' } = {}): Promise<{ server: NatsServer; system: System; other: NodeProcess; proxy?: Proxy; records: Array<Record<string, unknown>> }> {
    const server = await NatsServer.start({ maxPayload: options.maxPayload });
    cleanup.push(() => server.close());
    const { logger, records } = capture();
    const system = await createSystem({ hosts: 1, logger, cluster: { servers: server.url, name, node: 'main', downAfter: options.downAfter ?? 2000 } });
    cleanup.push(() => system.shutdown());
    let proxy: Proxy | undefined;
    if (options.via === 'proxy') {
      proxy = await Proxy.start(server.port);
      cleanup.push(() => proxy!.close());
    }
    const other = await NodeProcess.start({ url: proxy?.url ?? server.url, cluster: name, node: 'b', downAfter: options.downAfter ?? 2000 });
    await seen(system, 'b');
    return { server, system, other, proxy, records };
  }

  it('goes on after the NATS server restarts: what was sent during the outage arrives, in order', async () => {
    const { server, system } = await cluster('restart', { downAfter: 4000 });
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    for (let n = 0; n < 300; n++) ref.send({ type: 'note', n });
    await server.stop();
    for (let n = 300; n < 600; n++) ref.send({ type: 'note', n });
    const answer = ref.ask({ type: 'seen' }, { timeout: 15_000 });
    await server.run();
    expect(await answer).toEqual(Array.from({ length: 600 }, (_, n) => n));
    expect(await ref.ask({ type: 'where' })).toBe('b');
  }, 30_000);

  it('reports what was in flight when the outage outlasts downAfter: asks reject, the node comes back', async () => {
    const { server, system } = await cluster('outage', { downAfter: 1500 });
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    await server.stop();
    const pending = ref.ask({ type: 'echo', value: 1 }, { timeout: 20_000 });
    await expect(pending).rejects.toBeInstanceOf(NoProcError);
    const back = nextEvent(system, 'nodeup', 'b', 20_000);
    await server.run();
    await back;
    const again = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    expect(await again.ask({ type: 'where' })).toBe('b');
  }, 30_000);

  it('chunks a message larger than the server max_payload and delivers it whole', async () => {
    const { system } = await cluster('chunks', { maxPayload: 4096 });
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const back = (await ref.ask({ type: 'echo', value: bytes })) as Uint8Array;
    expect(back).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    const text = 'x'.repeat(50_000);
    expect(await ref.ask({ type: 'echo', value: text })).toBe(text);
    for (let n = 0; n < 50; n++) ref.send({ type: 'note', n: n % 10 === 0 ? 'y'.repeat(10_000) : n });
    const seenThere = (await ref.ask({ type: 'seen' })) as unknown[];
    expect(seenThere).toHaveLength(50);
    expect(seenThere[10]).toBe('y'.repeat(10_000));
    expect(seenThere[11]).toBe(11);
  }, 30_000);

  it('takes a cut-off node down on both sides and lets it rejoin as a new incarnation when healed', async () => {
    const { system, other, proxy } = await cluster('partition', { via: 'proxy', downAfter: 2000 });
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    const down = nextEvent(system, 'nodedown', 'b');
    proxy!.cut();
    await down;
    expect(await ref.exited).toEqual({ kind: 'killed', detail: 'nodedown' });
    await expect.poll(() => other.events.some((e) => e.event === 'nodedown' && e.node === 'main'), { timeout: 10_000 }).toBe(true);
    const up = nextEvent(system, 'nodeup', 'b', 20_000);
    proxy!.heal();
    await up;
    // the old incarnation's actors stay dead for this node; the new one takes work
    const letters: unknown[] = [];
    system.on('deadLetter', (letter) => letters.push(letter));
    ref.send({ type: 'note', n: 1 });
    expect(letters).toHaveLength(1);
    const fresh = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    expect(await fresh.ask({ type: 'where' })).toBe('b');
  }, 40_000);

  it('refuses and logs a frame of an unknown wire version', async () => {
    const { server, system, records } = await cluster('version');
    const { connect } = await import('@nats-io/transport-node');
    const raw = await connect({ servers: server.url });
    raw.publish('troupe.version.node.main', new Uint8Array([99, 0x4a, 0x7b, 0x7d]));
    await raw.flush();
    await raw.close();
    await expect.poll(() => records.some((record) => record.msg === 'a frame of an unknown wire version was refused'), { timeout: 5000 }).toBe(true);
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    expect(await ref.ask({ type: 'where' })).toBe('b');
  }, 30_000);
});
