/**
 * Runs in every test file (vitest setupFiles): once the file's tests are done, the facade's
 * default system is shut down (as a script's exit ends it), and then no system may be left
 * running and no worker thread, port or timer left open — a leaking test fails here.
 */
import { afterAll, expect } from 'vitest';
import { existingDefaultSystem } from '../src/default-system.js';
import { liveSystems } from '../src/system/registry.js';
import { handlesSettled, liveHandles } from './helpers.js';

const baseline = liveHandles().length;

afterAll(async () => {
  await existingDefaultSystem()?.shutdown();
  const systems = liveSystems();
  expect(systems.map((system) => (system as { name?: string }).name), 'systems left running: shut them down in the test').toEqual([]);
  const handles = await handlesSettled(baseline);
  expect(handles, 'handles left open after the test file').toHaveLength(Math.min(handles.length, baseline));
}, 30_000);
