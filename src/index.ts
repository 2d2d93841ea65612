/**
 * `troupe`: the actor door — systems, definitions, refs, supervisors — and every error class.
 * Also the main thread's composition root: it registers the supervisors behind
 * `system.supervise()` and the facade's extension (Process targets as supervised function
 * children). The kernel itself imports neither.
 */
import '../supervisors/index.js';
import './multiprocessing/extension.js';
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
