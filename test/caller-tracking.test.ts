import { afterAll, describe, expect, it } from 'vitest';
import { Lock } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
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
