/**
 * The shared-memory layout of one sync round (an Int32Array shared by main and the sync workers):
 * who is inside each critical section, the suspect snapshots, and counters.
 */
export const SYNC = {
  slots: 8,
  maxSuspects: 16,
  semValue: 2,
  lockInside: 0,
  semInside: 8,
  lockSuspects: 16, // count, then up to maxSuspects masks
  semSuspects: 40,
  lockAcquires: 64,
  semAcquires: 65,
  barrierPassed: 66,
  barrierBroken: 67,
  barrierBadIndex: 68,
  ticks: 69,
  /** set by main when the soak stops: workers end after their current iteration */
  stop: 70,
  length: 72,
} as const;
