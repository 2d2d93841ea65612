/**
 * Handles across nodes (DESIGN §10): a Queue, Lock, Pipe end or manager proxy lives on the node
 * that made it (its state is in that node's main thread and shared memory). When one travels to
 * another node it becomes `{ __troupe: 'remote', node, token, kind, props }`; the receiver revives
 * it as a proxy whose method calls go to the owning node, where the live handle runs them (in
 * order: they ride the pair's stream). Every call on a proxy returns a Promise; its plain data
 * (`id`, `maxsize`, ...) reads synchronously. Loaded in main and, as a host module, in every worker
 * (a proxy's calls from a worker go through main).
 */
import { defineExtension, type SystemExtension } from '../extension.js';
import { registerHandle, TO_WIRE } from '../handles.js';
import { currentHost } from '../hosts/current.js';
import { extensionCall } from '../kernel-call.js';
import type { Runtime } from '../runtime.js';
import type { SystemImpl } from '../system/system.js';

export interface RemoteHandleData {
  __troupe: 'remote';
  node: string;
  token: string;
  kind: string;
  /** the handle's plain fields (id, maxsize ...), readable without a call */
  props: Record<string, string | number | boolean>;
}

interface ClusterOps extends SystemExtension {
  readonly ops: { invoke(args: [string, string, string, unknown[], string | undefined]): Promise<unknown> };
}

/** The op a proxy in a worker calls: main forwards it to the handle's node. */
export const CLUSTER = defineExtension<ClusterOps>({
  name: 'troupe.cluster',
  hostModule: 'src/cluster/handle-proxy.js',
  create: (system: SystemImpl) => ({
    ops: {
      invoke: ([node, token, method, args, caller]) => {
        if (!system.cluster) return Promise.reject(new Error('this system is not in a cluster'));
        return system.cluster.invokeRemote(node, token, method, args, caller);
      },
    },
  }),
});

/** Calls `method` on the owning node, on behalf of the actor calling here (a lock's holder, a queue's consumer). */
function invoke(runtime: Runtime, data: RemoteHandleData, method: string, args: unknown[]): Promise<unknown> {
  const caller = runtime.currentSender();
  if (currentHost()) return extensionCall(CLUSTER, 'invoke', [data.node, data.token, method, args, caller]);
  const cluster = (runtime.system as SystemImpl).cluster;
  if (!cluster) return Promise.reject(new Error(`a handle of node ${data.node} reached a system that is not in its cluster`));
  return cluster.invokeRemote(data.node, data.token, method, args, caller);
}

/** A live stand-in for a handle of another node. */
export function remoteHandle(data: RemoteHandleData, runtime: Runtime): object {
  const target = { __troupe: 'remote', node: data.node, token: data.token, kind: data.kind, props: data.props };
  return new Proxy(target, {
    get(object, key) {
      if (key === TO_WIRE) return () => ({ ...target });
      if (typeof key === 'symbol' || key === 'then') return undefined;
      if (key in object) return (object as Record<string, unknown>)[key];
      if (key in data.props) return data.props[key];
      if (key === 'toJSON') return () => ({ ...target });
      return (...args: unknown[]) => invoke(runtime, data, key, args);
    },
  });
}

registerHandle('remote', (data: RemoteHandleData, runtime) => {
  const home = (runtime.system as SystemImpl | undefined)?.cluster;
  return home?.node === data.node ? (home.exportedHandle(data.token) ?? remoteHandle(data, runtime)) : remoteHandle(data, runtime);
});
