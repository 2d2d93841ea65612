import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Process } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import type { Host } from '../src/hosts/host.js';
import type { SystemImpl } from '../src/system/system.js';
import { cube, sleepForever } from './fixtures/process-targets.js';

afterAll(() => mainSystem().shutdown());

type Place = SystemImpl['placeExternal'];
const system = mainSystem() as unknown as SystemImpl;
const place: Place = system.placeExternal;
afterEach(() => {
  system.placeExternal = place;
});

/** Calls `then` with the host a process is placed on, the moment it is placed (before it is up). */
function onPlaced(p: Process, then: (host: Host) => void): void {
  const id = p.ref!.id;
  system.placeExternal = function (this: SystemImpl, placed, site) {
    place.call(this, placed, site);
    if (placed === id) then(this.hostOf(placed)!);
  } as Place;
}

describe('a Process whose worker dies before it is up', () => {
  it('starts on another worker: nothing of it ran, so nothing is lost or reported', async () => {
    const p = new Process({ target: cube, args: [3] });
    p.start();
    const ended: number[] = [];
    onPlaced(p, (host) => {
      // the first host only: not up yet (a pool thread torn down under a new task)
      if (ended.length > 0) return;
      ended.push(host.threadId);
      host.terminate();
    });
    await p.join();
    expect(ended).toEqual([-1]);
    expect(p.exitcode).toBe(0);
  }, 30_000);

  it('is not started again once it was up: a worker that dies under a running process ends it (exit code 1)', async () => {
    const p = new Process({ target: sleepForever });
    p.start();
    const placed = new Promise<Host>((resolve) => onPlaced(p, resolve));
    const host = await placed;
    await host.ready;
    host.terminate();
    await p.join();
    expect(p.exitcode).toBe(1);
  }, 30_000);
});
