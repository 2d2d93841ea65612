/**
 * Every Process has a mailbox: a Queue made in main when it starts, freed once it has ended
 * (nobody reads a finished process's mailbox).
 */
import { Queue, releaseQueue } from './queue.js';

export function createMailbox(): Queue {
  return new Queue();
}

export function releaseMailbox(mailbox: unknown): Promise<void> {
  return releaseQueue(mailbox as Queue).catch(() => {});
}
