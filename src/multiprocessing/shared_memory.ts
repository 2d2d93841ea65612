/**
 * `troupe/multiprocessing/shared_memory`: Python's multiprocessing.shared_memory (DESIGN §4.8) —
 * SharedMemory (named blocks any process can attach to) and ShareableList. This file only
 * re-exports from shared_memory/.
 */
export { SharedMemory, type SharedMemoryOptions } from './shared_memory/shared-memory.js';
export { ShareableList, type ShareableItem } from './shared_memory/shareable-list.js';
