import { afterAll, describe, expect, it } from 'vitest';
import { EOFError, Pipe, Process, Queue } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { evenno, greet, holdAndExit, putThenProcessExit, readMailbox } from './fixtures/queue-targets.js';

afterAll(() => mainSystem().shutdown());

describe('Queue and Pipe with Processes', () => {
  it('a Queue passed as a Process argument carries items back (the tutorial example)', async () => {
    const q = new Queue<number>();
    const p = new Process({ target: evenno, args: [Array.from({ length: 10 }, (_, i) => i), q] });
    p.start();
    await p.join();
    expect(p.exitcode).toBe(0);
    const got: number[] = [];
    while (!q.empty()) got.push(await q.get({ timeout: 5000 }));
    expect(got).toEqual([0, 2, 4, 6, 8]);
  });

  it('a Pipe end passed to a Process (the tutorial example), then EOF', async () => {
    const [parentConn, childConn] = Pipe<string[]>();
    const p = new Process({ target: greet, args: [childConn] });
    p.start();
    // the tutorial's idiom: the child has its own copy; the parent closes its copy of that end
    childConn.close();
    expect(await parentConn.poll(5000)).toBe(true);
    expect(await parentConn.recv()).toEqual(['hi!! I am Python']);
    await p.join();
    await expect(parentConn.recv()).rejects.toBeInstanceOf(EOFError);
  });

  it("recv() rejects EOFError when the Process holding the other end exits (Python's parent would hang)", async () => {
    const [parentConn, childConn] = Pipe();
    const p = new Process({ target: holdAndExit, args: [childConn] });
    p.start();
    childConn.close();
    await expect(parentConn.recv()).rejects.toBeInstanceOf(EOFError);
    await p.join();
    expect(p.exitcode).toBe(3);
  });

  it('items put right before process.exit() are not lost', async () => {
    const q = new Queue<number>();
    const p = new Process({ target: putThenProcessExit, args: [q, 1000] });
    p.start();
    await p.join();
    expect(q.qsize()).toBe(1000);
    const got: number[] = [];
    while (!q.empty()) got.push(await q.get({ timeout: 5000 }));
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it("p.send() reaches the Process's mailbox", async () => {
    const out = new Queue<unknown>();
    const p = new Process({ target: readMailbox, args: [out, 2] });
    p.start();
    p.send('one');
    p.send({ two: 2 });
    expect([await out.get({ timeout: 5000 }), await out.get({ timeout: 5000 })]).toEqual(['one', { two: 2 }]);
    await p.join();
  });

  it("messages sent to the Process's ref reach its mailbox too, in order with p.send()", async () => {
    const out = new Queue<unknown>();
    const p = new Process({ target: readMailbox, args: [out, 3] });
    p.start();
    p.ref!.send('by ref');
    p.send('by send');
    p.ref!.send({ n: 3 });
    const got = [await out.get({ timeout: 5000 }), await out.get({ timeout: 5000 }), await out.get({ timeout: 5000 })];
    expect(got).toContain('by send');
    expect(got.filter((m) => m !== 'by send')).toEqual(['by ref', { n: 3 }]);
    await p.join();
    expect(p.exitcode).toBe(0);
    // nobody reads an ended process's mailbox; sending to it is harmless
    expect(() => p.send('too late')).not.toThrow();
  });
});
