/**
 * Supervisors (DESIGN §5), plugged into the kernel as the `troupe.supervision` extension by the
 * composition root: `system.supervise(spec)` validates the spec and starts the supervisor actor.
 * The kernel never imports from here; this module only uses the kernel's API.
 */
import { defineExtension } from '../src/extension.js';
import type { Supervision } from '../src/system/supervision.js';
import { SUPERVISION } from '../src/system/supervision.js';
import { checkSupervisorSpec } from './child-spec.js';
import { startSupervisor } from './handle.js';

defineExtension<Supervision>({
  name: SUPERVISION.name,
  create: (system) => ({
    supervise: async (spec) => {
      const checked = checkSupervisorSpec(spec);
      return startSupervisor(system, checked, null, checked.registered);
    },
  }),
});

export { supervisorOf } from './handle.js';
