/**
 * The extension point behind `system.supervise()`: the kernel knows only this name and shape;
 * supervisors/ registers the implementation at the composition root (`src/index.ts`).
 */
import type { SystemExtension } from '../extension.js';
import type { Supervisor, SupervisorSpec } from '../types.js';

export interface Supervision extends SystemExtension {
  supervise(spec: SupervisorSpec): Promise<Supervisor>;
}

export const SUPERVISION = { name: 'troupe.supervision' } as const;
