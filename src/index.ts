/**
 * `troupe`: the actor door — systems, definitions, refs, supervisors — and every error class.
 * Also the main thread's composition root: it registers the supervisors behind
 * `system.supervise()` and the facade's extension (Process targets as supervised function
 * children). The kernel itself imports neither.
 */
import '../supervisors/index.js';
import './multiprocessing/extension.js';
import { provideCluster } from './system/cluster-hook.js';

// §10: the cluster module (and NATS with it) loads only when a system is created with `cluster`
provideCluster(() => import('./cluster/index.js').then((module) => module.joinCluster));
export { createSystem } from './system/system.js';
export { defaultSystem } from './default-system.js';
export { defineActor, fromMachine, task } from './define.js';
export {
  ValueError,
  RuntimeError,
  OSError,
  EOFError,
  Empty,
  Full,
  ShutDown,
  TimeoutError,
  BrokenBarrierError,
  BufferTooShort,
  SerializationError,
  ClosureError,
  MaybeEncodingError,
  BrokenWorkerError,
  AbandonedLockError,
  AskTimeoutError,
  NameTakenError,
  NoProcError,
  FileNotFoundError,
  FileExistsError,
  KeyError,
  SupervisorError,
  TroupeError,
  type OSErrorReason,
  type SupervisorErrorCode,
} from './errors.js';
export type {
  ActorContext,
  ActorDefinition,
  ActorRef,
  ActorSpec,
  ChildCounts,
  ChildRow,
  ChildSpec,
  ClusterOptions,
  CreateSystemOptions,
  DownMessage,
  ExitKind,
  ExitMessage,
  ExitReason,
  Handler,
  Handlers,
  Message,
  NodeInfo,
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
