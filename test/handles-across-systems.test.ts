import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createSystem, type System } from 'troupe';
import { Event, Lock, Pipe, Queue } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { QueueUser } from './fixtures/queue-actors.js';
import { SyncUser } from './fixtures/sync-actors.js';

const systems: System[] = [];
async function other(): Promise<System> {
  const system = await createSystem({ hosts: 1, logger: pino({ level: 'silent' }) });
  systems.push(system);
  return system;
}

afterAll(async () => {
  for (const system of systems) await system.shutdown();
  await mainSystem().shutdown();
});

describe('handles made by the facade work in actors of another system (DESIGN §1)', () => {
  it('a Queue: puts and gets from an actor of a createSystem() system reach the queue, none dropped', async () => {
    const system = await other();
    const q = new Queue<string>();
    let deadLetters = 0;
    system.on('deadLetter', () => deadLetters++);
    const user = await system.spawn(QueueUser);
    expect(await user.ask({ type: 'put', q, items: ['a', 'b', 'c'] })).toBe(3);
    expect(q.qsize()).toBe(3);
    expect(await q.get()).toBe('a');
    expect(await user.ask({ type: 'get', q, n: 1 })).toEqual(['b']);
    expect(await q.get()).toBe('c');
    expect(deadLetters).toBe(0);
  }, 20_000);

  it('a Pipe end: the actor of the other system talks back', async () => {
    const system = await other();
    const [mine, theirs] = Pipe<number>();
    const user = await system.spawn(QueueUser);
    const done = user.ask({ type: 'echo', conn: theirs, n: 5 });
    theirs.close();
    for (let i = 0; i < 5; i++) {
      mine.send(i);
      expect(await mine.recv()).toBe(i);
    }
    expect(await done).toBe('done');
  }, 20_000);

  it('a Lock and an Event: held and set from the other system, seen here', async () => {
    const system = await other();
    const lock = new Lock();
    const event = new Event();
    const locker = await system.spawn(SyncUser, { args: [lock] });
    expect(await locker.ask({ type: 'call', method: 'acquire' })).toBe(true);
    expect(lock.owner).toBe('SyncUser');
    expect(await lock.acquire({ timeout: 0 })).toBe(false);
    const waiting = lock.acquire({ timeout: 5000 });
    await locker.ask({ type: 'call', method: 'release' });
    expect(await waiting).toBe(true);
    lock.release();
    const setter = await system.spawn(SyncUser, { args: [event] });
    const seen = event.wait(5000);
    await setter.ask({ type: 'call', method: 'set' });
    expect(await seen).toBe(true);
  }, 20_000);
});
