import { afterAll, describe, expect, it } from 'vitest';
import { Lock } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { asyncIdentity } from '../src/caller.js';
import { kill } from 'troupe/testing';
import { defineActor } from 'troupe';
import { LockUser } from './fixtures/caller-actors.js';

afterAll(() => mainSystem().shutdown());

describe('the caller is known after an await in a handler (lock owner = the actor)', () => {
  for (const placement of ['main', 'shared'] as const) {
    it(`in ${placement}: async handlers, promise-returning handlers, and handlers that are sometimes synchronous`, async () => {
      const user = await mainSystem().spawn(LockUser, { placement, name: `lock-user-${placement}` });
      const lock = new Lock();
      expect(await user.ask({ type: 'asyncHandler', lock })).toBe(`lock-user-${placement}`);
      expect(await user.ask({ type: 'promiseHandler', lock })).toBe(`lock-user-${placement}`);
      for (let i = 0; i < 3; i++) expect(await user.ask({ type: 'mixedHandler', lock, later: false })).toBe('now');
      expect(await user.ask({ type: 'mixedHandler', lock, later: true })).toBe(`lock-user-${placement}`);
      expect(await user.ask({ type: 'mixedHandler', lock, later: true })).toBe(`lock-user-${placement}`);
      expect(lock.locked()).toBe(false);
      await user.stop();
    });
  }
});

/** Handlers that never await. */
const Plain = defineActor({
  name: 'Plain',
  receive: {
    get: (state: null, _msg: unknown, ctx) => {
      ctx.reply(0);
      return state;
    },
  },
});

describe('caller tracking costs nothing where it cannot matter', () => {
  it('exists only while the facade is used and an actor whose turns may await lives in the thread', async () => {
    const lock = new Lock();
    const sync = await mainSystem().spawn(Plain, { placement: 'main' });
    expect(await sync.ask({ type: 'get' })).toBe(0);
    // the facade is in use, but no actor here awaits: callers are known without AsyncLocalStorage
    expect(asyncIdentity()).toBeUndefined();
    const user = await mainSystem().spawn(LockUser, { placement: 'main', name: 'tracked-user' });
    expect(asyncIdentity()).toBeDefined();
    expect(await user.ask({ type: 'asyncHandler', lock })).toBe('tracked-user');
    await user.stop();
    // the last such actor is gone, and a killed one is not counted twice
    expect(asyncIdentity()).toBeUndefined();
    const killed = await mainSystem().spawn(LockUser, { placement: 'main' });
    killed.send({ type: 'asyncHandler', lock });
    await kill(killed);
    expect(asyncIdentity()).toBeUndefined();
    await sync.stop();
  });
});
