import { afterEach, describe, expect, it } from 'vitest';
import type { System } from 'troupe';
import { systemOf } from '../src/system/system.js';
import { Blaster, ByteCounter, Recorder } from './fixtures/transport.js';
import { testSystem } from './helpers.js';

let system: System;
afterEach(async () => {
  await system?.shutdown();
});

describe('messages between workers', () => {
  it('keeps per-pair order while the route switches from main to a direct worker link', async () => {
    system = await testSystem({ hosts: 2 });
    const impl = systemOf(system);
    const sender = await system.spawn(Blaster);
    let receiver = await system.spawn(Recorder);
    while (impl.hostOf(receiver.id) === impl.hostOf(sender.id)) receiver = await system.spawn(Recorder);
    await sender.ask({ type: 'blast', to: receiver, count: 20_000 }, { timeout: 30_000 });
    let report: { received: number; outOfOrder: number };
    do report = await receiver.ask({ type: 'report' });
    while (report.received < 20_000);
    expect(report).toMatchObject({ received: 20_000, outOfOrder: 0 });
    expect(await sender.ask({ type: 'askAll', to: receiver, count: 200 }, { timeout: 30_000 })).toMatchObject({ received: 20_000 });
  }, 40_000);

  it('moves Transferables instead of copying them when sent with { transfer }', async () => {
    system = await testSystem({ hosts: 1 });
    const counter = await system.spawn(ByteCounter);
    const buffer = new ArrayBuffer(1024);
    counter.send({ type: 'bytes', buffer }, { transfer: [buffer] });
    expect(buffer.byteLength).toBe(0);
    expect(await counter.ask({ type: 'total' })).toBe(1024);
  });
});
