import { afterAll, describe, expect, it } from 'vitest';
import { Connection, EOFError, Pipe } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { inject, killHost } from '../src/system/faults.js';
import { QueueUser } from './fixtures/queue-actors.js';

afterAll(() => mainSystem().shutdown());

describe('Pipe across threads', () => {
  it('an end sent to a worker actor talks back (ping-pong)', async () => {
    const [mine, theirs] = Pipe<number>();
    const user = await mainSystem().spawn(QueueUser);
    const done = user.ask({ type: 'echo', conn: theirs, n: 20 });
    for (let i = 0; i < 20; i++) {
      mine.send(i);
      expect(await mine.recv()).toBe(i);
    }
    expect(await done).toBe('done');
  });

  it('recv() rejects EOFError after the worker sent, closed, and everything was read', async () => {
    const [mine, theirs] = Pipe<string>();
    const user = await mainSystem().spawn(QueueUser);
    expect(await user.ask({ type: 'sendAndClose', conn: theirs, values: ['a', 'b'] })).toBe('closed');
    // the worker had its own copy; ours stays open until we close it (Python's file descriptors)
    expect(await mine.poll(20)).toBe(true);
    theirs.close();
    expect(await mine.recv()).toBe('a');
    expect(await mine.recv()).toBe('b');
    await expect(mine.recv()).rejects.toBeInstanceOf(EOFError);
  });

  it("recv() rejects EOFError when the other end's owner dies (it never hangs)", async () => {
    const [mine, theirs] = Pipe();
    const holder = await mainSystem().spawn(QueueUser, { placement: 'exclusive' });
    expect(await holder.ask({ type: 'holdEnd', conn: theirs })).toBe('held');
    // closing our copy of the end we handed over does not close it (Python's close-after-fork idiom)
    theirs.close();
    const pending = mine.recv();
    expect(await mine.poll(20)).toBe(false);
    expect(await killHost(mainSystem(), holder.id)).toBe(true);
    await expect(pending).rejects.toBeInstanceOf(EOFError);
    expect(() => mine.send('anyone?')).toThrow(/other end/);
  });

  it('recv() rejects EOFError when the actor that used the other end crashes (its worker lives on)', async () => {
    const [mine, theirs] = Pipe<number>();
    const user = await mainSystem().spawn(QueueUser);
    const echoed = user.ask({ type: 'echo', conn: theirs, n: 1 });
    theirs.close();
    mine.send(7);
    expect(await mine.recv()).toBe(7);
    expect(await echoed).toBe('done');
    expect(inject(mainSystem(), user.id, { crash: new Error('crash injected by the test') })).toBe(true);
    expect((await user.exited).kind).toBe('error');
    await expect(mine.recv()).rejects.toBeInstanceOf(EOFError);
  });

  it('bytes and awkward values cross to a worker and back intact', async () => {
    const [mine, theirs] = Pipe<unknown>();
    const user = await mainSystem().spawn(QueueUser);
    const values = [undefined, NaN, new Uint8Array([9, 8, 7]), new Map([['k', 1]]), 5n];
    const done = user.ask({ type: 'echo', conn: theirs, n: values.length + 1 });
    for (const value of values) mine.send(value);
    mine.sendBytes(new Uint8Array([1, 2, 3]), 1);
    const echoed: unknown[] = [];
    for (let i = 0; i < values.length; i++) echoed.push(await mine.recv());
    expect(echoed[0]).toBeUndefined();
    expect(echoed[1]).toBeNaN();
    expect(echoed[2]).toEqual(new Uint8Array([9, 8, 7]));
    expect(echoed[3]).toEqual(new Map([['k', 1]]));
    expect(echoed[4]).toBe(5n);
    expect(Array.from(await mine.recvBytes())).toEqual([2, 3]);
    expect(await done).toBe('done');
  });

  it('a pipe made in a worker works from main', async () => {
    const user = await mainSystem().spawn(QueueUser);
    const end = await user.ask<Connection<string>>({ type: 'makePipe' });
    expect(end).toBeInstanceOf(Connection);
    expect(await end.recv()).toBe('from a worker');
  });
});
