/**
 * Every Process has a mailbox (a Queue): `p.send(msg)` puts to it, `currentProcess().mailbox`
 * reads it. Most processes never use theirs, so main makes it on first use (from a worker, by a
 * blocking call: the property is synchronous) and frees it when the process has ended.
 */
import { mainSystem } from '../default-system.js';
import { currentHost } from '../hosts/current.js';
import { extensionCallSync } from '../kernel-call.js';
import { MULTIPROCESSING, multiprocessing } from './extension.js';

/** The mailbox of live process `id` (made now if it has none yet); undefined once it has ended. */
export function mailboxOf(id: string): unknown {
  if (currentHost()) return extensionCallSync(MULTIPROCESSING, 'mailbox', [id]) ?? undefined;
  return multiprocessing(mainSystem()).processes.mailbox(id);
}
