import { describe, expect, it } from 'vitest';
import { createSystem } from 'troupe';
import { Counter } from './fixtures/actors.js';

describe('smoke', () => {
  it('spawns in main and in a shared host', async () => {
    const system = await createSystem({ hosts: 2 });
    const a = await system.spawn(Counter, { args: [5], placement: 'main' });
    a.send({ type: 'inc', by: 2 });
    expect(await a.ask({ type: 'get' })).toBe(7);
    const b = await system.spawn(Counter, { args: [1] });
    b.send({ type: 'inc' });
    expect(await b.ask({ type: 'get' })).toBe(2);
    expect(await b.ask({ type: 'where' })).toBeGreaterThan(0);
    b.send({ type: 'boom' });
    const reason = await b.exited;
    expect(reason.kind).toBe('error');
    await system.shutdown();
  });
});
