/**
 * Restart strategies (OTP): which children restart together when one of them fails.
 * one_for_one and simple_one_for_one: the failed child alone; one_for_all: every child that is
 * running or waiting for a restart; rest_for_one: the failed child and those started after it.
 * Children stopped on purpose (terminateChild) stay stopped. The group is in start order.
 */
import type { Strategy } from '../src/types.js';

export function restartGroup<C extends { pid: unknown }>(strategy: Strategy, children: readonly C[], failed: C): C[] {
  switch (strategy) {
    case 'one_for_one':
    case 'simple_one_for_one':
      return [failed];
    case 'one_for_all':
      return children.filter((c) => c === failed || c.pid !== null);
    case 'rest_for_one': {
      const at = children.indexOf(failed);
      return [failed, ...children.slice(at + 1).filter((c) => c.pid !== null)];
    }
  }
}
