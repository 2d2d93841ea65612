/**
 * Supervisors (DESIGN §5), plugged into the kernel at the composition root: importing this module
 * sets `SystemImpl.superviseImpl`, so `system.supervise(spec)` validates the spec and starts the
 * supervisor actor. The kernel never imports from here; this module only uses the kernel's API.
 */
import { SystemImpl } from '../src/system.js';
import type { Supervisor, SupervisorSpec } from '../src/types.js';
import { checkSupervisorSpec } from './child-spec.js';
import { setSupervisorStarter } from './children.js';
import { startSupervisor } from './handle.js';

setSupervisorStarter(async (system, spec, parentId, name) => (await startSupervisor(system, spec, parentId, name)).ref);

SystemImpl.superviseImpl = async (system: SystemImpl, spec: SupervisorSpec): Promise<Supervisor> => {
  const checked = checkSupervisorSpec(spec);
  return startSupervisor(system, checked, null, undefined);
};

export { supervisorOf } from './handle.js';
