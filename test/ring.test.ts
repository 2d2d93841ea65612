import { spawnSync } from 'node:child_process';
import { MessageChannel, MessagePort, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createRing, R, W } from '../src/transport/ring-layout.js';
import { RingReader, type RingSink } from '../src/transport/ring-reader.js';
import { RingWriter } from '../src/transport/ring-writer.js';
import { ringMessage } from './fixtures/ring-messages.js';

const WORKER = new URL('./fixtures/ring-writer-worker.ts', import.meta.url);

function sink(deliver: (value: unknown) => void, failed: (error: unknown) => void = (error) => { throw error; }): RingSink {
  return { deliver, drained: () => {}, failed };
}

/** A reader fed by a ring-writer worker; the worker's doorbell wakes the reader. */
function writerWorker(capacity: number, mode: 'stream' | 'forever' | 'fill', n = 0): { reader: RingReader; worker: Worker; sab: SharedArrayBuffer; exited: Promise<unknown> } {
  const sab = createRing(capacity);
  const { port1, port2 } = new MessageChannel();
  const reader = new RingReader(sab, port1);
  // tsx's hooks first (as the host bootstrap does), then the TypeScript fixture
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER.href)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { sab, side: port2, mode, n }, transferList: [port2] });
  worker.on('message', () => reader.wake());
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  return { reader, worker, sab, exited };
}

describe('worker → main ring (src/transport)', () => {
  it('carries a stream in order, JSON, v8-only values, big values and shared memory/ports alike', async () => {
    const n = 30_000;
    const { reader, exited } = writerWorker(1 << 16, 'stream', n);
    let next = 0;
    let side = 0;
    const done = new Promise<void>((resolve, reject) =>
      reader.listen(
        sink((value) => {
          if (value !== null && typeof value === 'object' && 'side' in value) {
            const extra = value as { side: number; shared?: SharedArrayBuffer; port?: MessagePort; buffer?: ArrayBuffer; view?: Int32Array };
            expect(extra.side).toBe(next);
            if (extra.port) {
              expect(extra.port).toBeInstanceOf(MessagePort);
              extra.port.close();
            }
            if (extra.shared) expect(extra.shared).toBeInstanceOf(SharedArrayBuffer);
            if (extra.view) expect(extra.view.buffer).toBeInstanceOf(SharedArrayBuffer); // shared, not copied
            if (extra.buffer) expect(extra.buffer.byteLength).toBe(16);
            side++;
            return;
          }
          expect(value).toEqual(ringMessage(next++));
          if (next === n) resolve();
        }, reject),
      ),
    );
    await done;
    await exited;
    reader.close();
    expect(side).toBe(4 * Math.ceil(n / 997));
  }, 60_000);

  it('a writer terminated mid-write leaves a gapless prefix of whole records, all of it read by close()', async () => {
    for (let round = 0; round < 12; round++) {
      const { reader, worker, sab } = writerWorker(1 << 16, 'forever');
      let next = 0;
      let first!: () => void;
      const started = new Promise<void>((resolve) => (first = resolve));
      reader.listen(
        sink((value) => {
          expect(value).toEqual(ringMessage(next++));
          if (next === 1) first();
        }),
      );
      await started;
      await worker.terminate();
      reader.close(); // the final drain, synchronous
      const words = new Int32Array(sab);
      expect(Atomics.load(words, R)).toBe(Atomics.load(words, W));
      expect(next).toBeGreaterThan(0);
    }
  }, 60_000);

  it('wraps its 32-bit indexes (W and R near 2^31 and 2^32)', () => {
    for (const start of [0x7fffff00, -256]) {
      const sab = createRing(4096);
      const words = new Int32Array(sab);
      Atomics.store(words, W, start);
      Atomics.store(words, R, start);
      const { port1, port2 } = new MessageChannel();
      const reader = new RingReader(sab, port1);
      const writer = new RingWriter(sab, port2, () => {});
      let next = 0;
      reader.listen(sink((value) => expect(value).toEqual(ringMessage(next++))));
      for (let i = 0; i < 3000; i++) {
        writer.write(ringMessage(i));
        if (i % 10 === 9) reader.wake(); // drains synchronously (single thread: nothing else writes)
      }
      reader.close();
      port2.close();
      expect(next).toBe(3000);
    }
  });

  it('a delivery that throws is reported and skips only its own value', () => {
    const sab = createRing(4096);
    const { port1, port2 } = new MessageChannel();
    const reader = new RingReader(sab, port1);
    const writer = new RingWriter(sab, port2, () => {});
    for (let i = 0; i < 10; i++) writer.write({ type: 'put', v: i });
    writer.write(new Map([[1, 1]]));
    const got: unknown[] = [];
    const errors: unknown[] = [];
    reader.listen(
      sink(
        (value) => {
          if ((value as { v?: number }).v === 3) throw new Error('boom');
          got.push(value);
        },
        (error) => errors.push(error),
      ),
    );
    reader.close();
    port2.close();
    expect(errors).toHaveLength(1);
    expect(got.slice(0, 9).map((value) => (value as { v: number }).v)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    expect(got[9]).toEqual(new Map([[1, 1]]));
  });

  it('a writer blocked on a full ring is not stuck forever: closing the ring wakes it with an error', async () => {
    const { reader, worker, sab, exited } = writerWorker(4096, 'fill');
    const errors: string[] = [];
    worker.on('error', (error) => errors.push(error.message));
    // nobody reads: the worker fills the ring and blocks (it says so in WAITING)
    while (!reader.writerWaiting) await new Promise((resolve) => setImmediate(resolve));
    expect(Atomics.load(new Int32Array(sab), W)).toBeGreaterThan(3000);
    reader.close();
    await exited;
    expect(errors).toEqual(['the ring to the main thread is closed']);
  }, 20_000);

  it('a parked reader does not keep the process alive', () => {
    const code = `import('${new URL('../src/transport/ring-reader.ts', import.meta.url).href}').then(async ({ RingReader }) => {
      const { createRing } = await import('${new URL('../src/transport/ring-layout.ts', import.meta.url).href}');
      const { MessageChannel } = await import('node:worker_threads');
      const reader = new RingReader(createRing(4096), new MessageChannel().port1);
      reader.listen({ deliver() {}, drained() {}, failed() {} });
      setTimeout(() => console.log('still alive'), 10);
    })`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('still alive');
    expect(result.status).toBe(0);
  }, 30_000);
});
