import { afterAll, describe, expect, it } from 'vitest';
import { defaultSystem } from 'troupe';
import { Manager, Process, RuntimeError, ValueError } from 'troupe/multiprocessing';
import { callProxy, Counter, FooBar, managerInChild } from './fixtures/shared-targets.js';

afterAll(() => defaultSystem().shutdown());

async function run(target: (...args: any[]) => unknown, args: unknown[]): Promise<number | null> {
  const p = new Process({ target, args });
  p.start();
  await p.join();
  return p.exitcode;
}

describe('custom managed types (CPython test_mymanager)', () => {
  it('exposes the public methods of a registered class, as async methods', async () => {
    await using manager = await Manager();
    manager.register('Foo', FooBar);
    manager.register('Bar', FooBar, { exposed: ['f', '_h'] });
    const foo = await manager.create<FooBar>('Foo');
    const bar = await manager.create<FooBar>('Bar');
    expect(['f', 'g', '_h'].filter((name) => name in foo)).toEqual(['f', 'g']);
    expect(['f', 'g', '_h'].filter((name) => name in bar)).toEqual(['f', '_h']);
    expect(await foo.f()).toBe('f()');
    expect(await bar._h()).toBe('_h()');
  });

  it('sends a method\'s error back with its class, message and remote stack (like Pool tasks)', async () => {
    await using manager = await Manager();
    manager.register('Foo', FooBar);
    manager.register('Counter', Counter);
    const foo = await manager.create<FooBar>('Foo');
    const error = await foo.g().catch((caught: unknown) => caught as Error & { cause: Error & { remoteStack: string } });
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('g failed');
    expect(error.cause.name).toBe('RemoteTraceback');
    expect(error.cause.remoteStack).toMatch(/g failed/);
    const counter = await manager.create<Counter>('Counter');
    await expect(counter.fail('too far')).rejects.toThrow(RangeError);
    // the instance survives its method's error
    expect(await counter.add(1)).toBe(1);
  });

  it('passes constructor arguments and runs calls one at a time, async methods included', async () => {
    await using manager = await Manager();
    manager.register('Counter', Counter);
    const counter = await manager.create<Counter>('Counter', 10);
    const results = await Promise.all(Array.from({ length: 20 }, () => counter.slowAdd(1)));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => 11 + i));
    expect(await counter.value()).toBe(30);
  });

  it('rejects an unknown typeid (ValueError), a constructor error, and a class that is not a class', async () => {
    await using manager = await Manager();
    await expect(manager.create('Nope')).rejects.toThrow(ValueError);
    manager.register('Bad', class Bad {
      constructor() {
        throw new Error('cannot construct');
      }
    });
    await expect(manager.create('Bad')).rejects.toThrow(/cannot construct/);
    expect(() => manager.register('x', 42 as never)).toThrow(TypeError);
    manager.register('Wrong', FooBar, { exposed: ['nope'] });
    await expect(manager.create('Wrong')).rejects.toThrow(/exposed method 'nope'/);
  });

  it('lets a child process call an instance proxy it was passed', { timeout: 30_000 }, async () => {
    await using manager = await Manager();
    manager.register('Counter', Counter);
    const counter = await manager.create<Counter>('Counter');
    expect(await run(callProxy, [counter, 5])).toBe(0);
    expect(await run(callProxy, [counter, 6])).toBe(0);
    expect(await counter.value()).toBe(11);
  });

  it('works from a Manager started inside a child process (the class found by its module)', { timeout: 30_000 }, async () => {
    expect(await run(managerInChild, [])).toBe(0);
  });

  it('stops the instances with the manager: later calls reject RuntimeError', async () => {
    const manager = await Manager();
    manager.register('Counter', Counter);
    const counter = await manager.create<Counter>('Counter');
    await manager.shutdown();
    await expect(counter.add(1)).rejects.toThrow(RuntimeError);
    await expect(manager.create('Counter')).rejects.toThrow(RuntimeError);
  });
});
