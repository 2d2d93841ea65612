/**
 * Managers, as CPython's multiprocessing/managers.py has them (DESIGN §4.8): `Manager()`,
 * SyncManager, and the proxies of managed dicts, lists, Namespaces and registered classes. The
 * server side is actors/manager/; this file only re-exports from managers/.
 */
export { Manager, SyncManager } from './managers/sync-manager.js';
export { BaseProxy, DictProxy, ListProxy, NamespaceProxy, type Proxy } from './managers/proxies.js';
