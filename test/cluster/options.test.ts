import { describe, expect, it } from 'vitest';
import { createSystem, RuntimeError, ValueError } from '../../src/index.js';
import { freePort } from './harness.js';

describe('createSystem({ cluster }) options', () => {
  it('refuses bad cluster options with a ValueError that names the field', async () => {
    await expect(createSystem({ cluster: { servers: 'nats://127.0.0.1:1', name: 'has.dot' } })).rejects.toThrow(/cluster name/);
    await expect(createSystem({ cluster: { servers: 'nats://127.0.0.1:1', name: 'ok', node: 'a b' } })).rejects.toBeInstanceOf(ValueError);
    await expect(createSystem({ cluster: { servers: 'nats://127.0.0.1:1', name: 'ok', downAfter: 5 } })).rejects.toThrow(/downAfter/);
    await expect(createSystem({ cluster: { servers: 42 as unknown as string, name: 'ok' } })).rejects.toThrow(/servers/);
  });

  it('says what to do when no NATS server answers, and leaves no system running', async () => {
    const port = await freePort();
    const error = await createSystem({ cluster: { servers: `nats://127.0.0.1:${port}`, name: 'nobody' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toMatch(/start nats-server/);
  });

  it('has no node and lists only itself without a cluster', async () => {
    const system = await createSystem();
    expect(system.node).toBeUndefined();
    expect((await system.nodes()).map((info) => info.node)).toEqual([(system as unknown as { name: string }).name]);
    await system.shutdown();
  });
});
