import { afterEach, describe, expect, it } from 'vitest';
import * as troupe from 'troupe';
import * as mp from 'troupe/multiprocessing';
import type { System } from 'troupe';
import { Thrower } from './fixtures/actors.js';
import { testSystem } from './helpers.js';

const names = [
  'ValueError', 'RuntimeError', 'OSError', 'EOFError', 'Empty', 'Full', 'ShutDown', 'TimeoutError', 'BrokenBarrierError',
  'BufferTooShort', 'SerializationError', 'ClosureError', 'MaybeEncodingError', 'BrokenWorkerError', 'AbandonedLockError',
  'AskTimeoutError', 'NameTakenError', 'NoProcError', 'SupervisorError',
] as const;
const facadeNames = names.slice(0, 15);

let system: System | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('errors', () => {
  it.each(names)('exports %s from troupe as an Error whose name is its class name', (name) => {
    const Class = (troupe as unknown as Record<string, new (message?: string) => Error>)[name]!;
    const error = new Class('something went wrong');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.message).toBe('something went wrong');
  });

  it('exports the Python errors from troupe/multiprocessing too (the same classes)', () => {
    for (const name of facadeNames) expect((mp as Record<string, unknown>)[name]).toBe((troupe as Record<string, unknown>)[name]);
  });

  it('keeps name, message, code, cause and the remote stack of an error thrown in a worker', async () => {
    system = await testSystem();
    const thrower = await system.spawn(Thrower);
    thrower.send({ type: 'fail' });
    const reason = await thrower.exited;
    expect(reason.kind).toBe('error');
    const error = reason.error as Error & { code?: string; cause?: Error };
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('QuotaError');
    expect(error.message).toBe('quota exceeded');
    expect(error.code).toBe('E_QUOTA');
    expect(error.cause?.name).toBe('TypeError');
    expect(error.cause?.message).toBe('limit was 3');
    expect(error.stack).toContain('fixtures/actors.ts');
  });

  it('carries the typed fields of SupervisorError, OSError and BufferTooShort', () => {
    const sup = new troupe.SupervisorError('not_found', 'no child "x"');
    expect(sup.code).toBe('not_found');
    expect(sup.message).toBe('no child "x"');
    expect(new troupe.OSError('handle is closed', 'closed').reason).toBe('closed');
    expect(new troupe.BufferTooShort('too small', new Uint8Array([1, 2])).data).toEqual(new Uint8Array([1, 2]));
  });
});
