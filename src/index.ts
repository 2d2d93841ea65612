/**
 * `troupe`: the actor door — systems, definitions, refs, supervisors — and every error class.
 */
// Composition root: supervisors, and Process targets as supervised function children.
import '../supervisors/index.js';
import './multiprocessing/process.js';
export { createSystem } from './system.js';
export { defaultSystem } from './default-system.js';
export { defineActor, fromMachine, task } from './define.js';
export * from './errors.js';
export type {
  ActorContext,
  ActorDefinition,
  ActorRef,
  ActorSpec,
  ChildCounts,
  ChildRow,
  ChildSpec,
  CreateSystemOptions,
  DownMessage,
  ExitKind,
  ExitMessage,
  ExitReason,
  Handler,
  Placement,
  RestartType,
  ShutdownSpec,
  SpawnOptions,
  Strategy,
  Supervisor,
  SupervisorCore,
  SystemCore,
  SupervisorEvent,
  SupervisorSpec,
  System,
} from './types.js';
