/**
 * Restart strategies (OTP restart/3): which children restart together when one of them fails.
 * one_for_one and simple_one_for_one: the failed child alone; one_for_all: every child;
 * rest_for_one: the failed child and every child started after it. As in OTP, the group includes
 * children stopped with terminateChild (they are restarted too); temporary ones are taken down
 * but not restarted (the supervisor drops them). The group is in start order.
 */
import type { Strategy } from '../src/types.js';

export function restartGroup<C>(strategy: Strategy, children: readonly C[], failed: C): C[] {
  const at = children.indexOf(failed);
  if (at < 0) return [failed];
  switch (strategy) {
    case 'one_for_one':
    case 'simple_one_for_one':
      return [failed];
    case 'one_for_all':
      return [...children];
    case 'rest_for_one':
      return children.slice(at);
  }
}
