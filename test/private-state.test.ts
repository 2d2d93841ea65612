import { afterAll, describe, expect, it } from 'vitest';
import { SerializationError } from 'troupe';
import { Pipe, Process, Queue } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { Counter } from './fixtures/actors.js';
import { cube } from './fixtures/process-targets.js';

afterAll(() => mainSystem().shutdown());

class Secret {
  #x = 1;
  reveal(): number {
    return this.#x;
  }
}
class Derived extends Secret {
  y = 2;
}
class Plain {
  z = 3;
}

describe('classes with #private members are refused, in any thread (structuredClone would drop them)', () => {
  it('a queue put rejects SerializationError naming the class; nothing half-sent; the queue stays usable', async () => {
    const q = new Queue<unknown>();
    const error = await q.put(new Derived()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as Error).message).toContain('Derived');
    expect((error as Error).message).toContain('Secret');
    expect(q.qsize()).toBe(0);
    await q.put(new Plain());
    expect(await q.get()).toMatchObject({ z: 3 });
  });

  it('a pipe send throws it synchronously, and the pipe stays usable', async () => {
    const [a, b] = Pipe();
    expect(() => a.send({ nested: [new Secret()] })).toThrow(SerializationError);
    a.send('fine');
    expect(await b.recv()).toBe('fine');
  });

  it('a Process argument fails at start()', () => {
    const p = new Process({ target: cube, args: [new Secret()] });
    expect(() => p.start()).toThrow(SerializationError);
  });

  it('a message to an actor, on another thread and in the same thread', async () => {
    const system = mainSystem();
    for (const placement of ['shared', 'main'] as const) {
      const counter = await system.spawn(Counter, { args: [0], placement });
      expect(() => counter.send({ type: 'inc', by: 1, extra: new Secret() })).toThrow(SerializationError);
      await expect(counter.ask({ type: 'get', extra: new Secret() })).rejects.toBeInstanceOf(SerializationError);
      counter.send({ type: 'inc', by: 2 });
      expect(await counter.ask({ type: 'get' })).toBe(2);
      await counter.stop();
    }
  }, 20_000);

  it('a message that is itself such an instance, even one that claims `constructor: Object`', async () => {
    const system = mainSystem();
    const counter = await system.spawn(Counter, { args: [0], placement: 'main' });
    const disguised = Object.assign(new Derived(), { type: 'inc', by: 1, constructor: Object });
    expect(() => counter.send(disguised)).toThrow(SerializationError);
    expect(() => counter.send(Object.assign(new Secret(), { type: 'inc', by: 1 }))).toThrow(SerializationError);
    expect(await counter.ask({ type: 'get' })).toBe(0);
    await counter.stop();
  });
});
