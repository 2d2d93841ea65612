import { describe, expect, it } from 'vitest';
import { backoffDelay, backoffExpired } from '../supervisors/backoff.js';
import { RestartIntensity } from '../supervisors/intensity.js';
import { restartGroup } from '../supervisors/strategies.js';

describe('RestartIntensity', () => {
  it('allows `intensity` restarts within `period` and refuses one more', () => {
    const window = new RestartIntensity(2, 1000);
    expect(window.add(0)).toBe(true);
    expect(window.add(10)).toBe(true);
    expect(window.add(20)).toBe(false);
  });

  it('forgets restarts that left the window', () => {
    const window = new RestartIntensity(1, 1000);
    expect(window.add(0)).toBe(true);
    expect(window.add(1000)).toBe(true);
    expect(window.count).toBe(1);
    expect(window.add(1500)).toBe(false);
  });
});

describe('backoff', () => {
  const backoff = { min: 100, max: 1000, jitter: 0 };

  it('doubles the delay at each attempt up to max', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(backoff, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads the delay by at most ±jitter', () => {
    const jittery = { ...backoff, jitter: 0.2 };
    expect(backoffDelay(jittery, 1, () => 0)).toBe(160);
    expect(backoffDelay(jittery, 1, () => 1)).toBe(240);
    expect(backoffDelay(jittery, 10, () => 1)).toBe(1000);
  });

  it('resets once the child has run for min ms', () => {
    expect(backoffExpired(backoff, 0, 99)).toBe(false);
    expect(backoffExpired(backoff, 0, 100)).toBe(true);
  });
});

describe('restartGroup', () => {
  const a = { id: 'a', pid: 'x' };
  const b = { id: 'b', pid: 'y' };
  const stopped = { id: 'stopped', pid: null };
  const c = { id: 'c', pid: 'restarting' };
  const children = [a, b, stopped, c];

  it('follows the strategy and keeps start order, children stopped on purpose included (OTP restart/3)', () => {
    expect(restartGroup('one_for_one', children, b)).toEqual([b]);
    expect(restartGroup('simple_one_for_one', children, b)).toEqual([b]);
    expect(restartGroup('one_for_all', children, b)).toEqual([a, b, stopped, c]);
    expect(restartGroup('rest_for_one', children, b)).toEqual([b, stopped, c]);
  });
});
