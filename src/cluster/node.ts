/**
 * One system's membership of a cluster (DESIGN §10), the ClusterHook the kernel holds: it owns the
 * NATS connection, the node's subject, the heartbeats, the streams to every other node, and hands
 * what arrives to the parts that serve it (refs and signals: remote.ts; calls: calls.ts; spawns:
 * spawn.ts; global names: names.ts; the cluster Pool: pool.ts). When a node goes down, each part
 * settles what depended on it, then `nodedown` is emitted.
 */
import type { Logger } from 'pino';
import { NoProcError, RuntimeError, ValueError } from '../errors.js';
import { joinedClusters, type ClusterHook } from '../system/cluster-hook.js';
import { joinRegistry, leaveRegistry } from '../system/registry.js';
import type { SystemImpl } from '../system/system.js';
import type { ActorDefinition, ActorRef, NodeInfo, SpawnOptions } from '../types.js';
import type { Locator } from '../define.js';
import { Calls } from './calls.js';
import { HandleExports } from './handle-exports.js';
import type { Nats, Subjects } from './connection.js';
import type { Sequenced } from './frame.js';
import { LEFT, Membership, type Heartbeat } from './membership.js';
import type { GlobalNames } from './names.js';
import type { ClusterPool } from './pool.js';
import { Remote } from './remote.js';
import { serveSpawn, spawned, spawnRequest, type SpawnRequest } from './spawn.js';
import { Streams } from './streams.js';

/** A part of the node that serves ops and hears of nodes going down (names, pool). */
export interface NodePart {
  serve?(from: string, op: string, args: unknown[]): Promise<unknown> | unknown;
  nodeDown?(node: string): void;
  /** every heartbeat interval */
  tick?(now: number): void;
  leave?(): Promise<void>;
}

export class ClusterNode implements ClusterHook {
  readonly membership: Membership;
  readonly streams: Streams;
  readonly remote: Remote;
  readonly calls: Calls;
  readonly handles: HandleExports;
  readonly log: Logger;
  /** parts by op prefix (`names.`, `pool.`) */
  readonly parts = new Map<string, NodePart>();
  /** global names, once their bucket is open */
  names: GlobalNames | undefined;
  /** this node as its streams sign packets (the incarnation changes when it rejoins) */
  private readonly identity: { node: string; inc: string };
  private timer: NodeJS.Timeout | undefined;
  private readonly subscriptions: Array<{ unsubscribe(): void }> = [];
  private left = false;
  private disconnectedAt = 0;
  private readonly upWaiters = new Set<() => void>();

  constructor(
    readonly system: SystemImpl,
    readonly nats: Nats,
    readonly subjects: Subjects,
    readonly node: string,
    downAfter: number,
  ) {
    this.log = system.log.child({ node });
    this.membership = new Membership(node, downAfter, {
      up: (name, inc) => this.nodeUp(name, inc),
      down: (name, inc, why) => this.nodeDown(name, inc, why),
      beat: (beat) => this.nats.publish(this.subjects.heartbeat, JSON.stringify(beat)),
      refused: (name, inc) => this.streams.control(name, inc, { k: 'stale' }),
      clash: (beat) => this.log.error({ since: beat.since }, `another process joined the cluster as node "${node}": give every node its own name (cluster.node)`),
      counts: () => ({ actors: system.directory.entries.size, hosts: [...system.hostList].length }),
    });
    this.identity = { node, inc: this.membership.inc };
    this.streams = new Streams(nats, subjects, this.identity, {
      deliver: (from, packet) => this.deliver(from, packet),
      failed: (to, packets) => this.failed(to, packets),
      accepts: (name, inc) => this.membership.accepts(name, inc),
      stale: (_from, inc) => {
        if (inc === this.membership.inc) this.reincarnate('another node declared this incarnation down');
      },
    }, this.log);
    this.handles = new HandleExports(node, system.runtime);
    this.parts.set('handles', this.handles);
    this.calls = new Calls((to, packet, json) => this.streams.send(to, packet, json));
    this.remote = new Remote(system, {
      self: node,
      isUp: (name) => this.membership.isUp(name),
      send: (to, packet, json) => this.streams.send(to, packet, json),
      call: (to, op, args, fallback) => this.calls.call(to, op, args, undefined, fallback),
      exportHandles: (value, holder) => this.handles.export(value, holder),
    });
  }

  start(): void {
    joinRegistry(this.remote);
    joinedClusters().add(this);
    this.subscriptions.push(
      this.nats.subscribe(this.subjects.node(this.node), { callback: (error, msg) => error === null && this.streams.receive(msg.data) }),
      this.nats.subscribe(this.subjects.heartbeat, {
        callback: (error, msg) => {
          if (error !== null) return;
          try {
            this.membership.heard(JSON.parse(Buffer.from(msg.data).toString('utf8')) as Heartbeat);
          } catch (cause) {
            this.log.warn({ err: cause }, 'an unreadable heartbeat was ignored');
          }
        },
      }),
    );
    this.membership.heartbeat();
    const interval = this.membership.interval;
    this.timer = setInterval(() => this.tick(), interval);
    this.timer.unref();
    void this.watchConnection();
  }

  private lastTick = Date.now();

  private tick(): void {
    const now = Date.now();
    const late = now - this.lastTick > this.membership.interval * 2;
    this.lastTick = now;
    this.membership.heartbeat();
    // a late tick means this event loop was blocked: the heartbeats waiting in the socket are read
    // before the next tick, so judging the others now would take live nodes down
    if (!late) this.membership.check(now);
    this.streams.tick(now, this.membership.interval * 2);
    for (const part of this.parts.values()) part.tick?.(now);
    for (const node of this.streams.overdue(now, this.membership.downAfter)) {
      this.streams.forget(node);
      this.calls.down(node);
    }
  }

  /** The connection's state: after an outage longer than downAfter, the others gave up on us. */
  private async watchConnection(): Promise<void> {
    for await (const status of this.nats.status()) {
      if (status.type === 'disconnect') {
        this.disconnectedAt = Date.now();
        this.log.warn('lost the NATS connection; reconnecting');
      } else if (status.type === 'reconnect') {
        const outage = Date.now() - this.disconnectedAt;
        this.log.info({ outage }, 'reconnected to NATS');
        if (outage >= this.membership.downAfter) this.reincarnate(`cut off from NATS for ${outage} ms`);
        else this.membership.heartbeat();
      }
    }
  }

  private reincarnate(why: string): void {
    if (this.left) return;
    this.log.warn({ why }, 'rejoining the cluster as a new incarnation');
    this.membership.reincarnate(why);
    this.identity.inc = this.membership.inc;
    this.streams.restart();
  }

  // ---- ClusterHook ------------------------------------------------------------------------------

  nodes(): Promise<NodeInfo[]> {
    return Promise.resolve(this.membership.live());
  }

  lookup(name: string): ActorRef | undefined {
    return this.names?.lookup(name);
  }

  invokeRemote(node: string, token: string, method: string, args: unknown[], caller: string | undefined): Promise<unknown> {
    if (node === this.node) {
      try {
        return Promise.resolve(this.handles.serve(node, 'invoke', [token, method, args, caller]));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const exported = this.handles.export(args, caller ?? `@${this.node}`);
    const pairs = this.remote.pairs(exported);
    if (caller !== undefined && this.system.directory.has(caller)) pairs.push([caller, this.node]);
    return this.calls.call(node, 'handles.invoke', [token, method, exported, caller], pairs);
  }

  exportedHandle(token: string): object | undefined {
    return this.handles.handle(token);
  }

  globalNames(): Array<[string, string]> {
    return this.names?.entries() ?? [];
  }

  runPoolBatch(locator: Locator, batch: { locators: Locator[] }, taken: () => void): Promise<unknown> {
    if (this.left) return Promise.reject(new NoProcError('this node has left the cluster'));
    return (this.parts.get('pool') as ClusterPool).run(locator, batch, taken);
  }

  spawn(def: ActorDefinition, options: SpawnOptions, parent: string | null): Promise<ActorRef> | undefined {
    if (options.global === true) {
      if (!this.names) return Promise.reject(new RuntimeError('global names need JetStream: start nats-server with -js'));
      if (typeof options.name !== 'string' || options.name === '') return Promise.reject(new ValueError('spawn({ global: true }) needs a { name }'));
      return this.names.spawn(def, { ...options, global: undefined }, parent);
    }
    if (options.node === undefined || options.node === this.node) return undefined;
    if (typeof options.node !== 'string') return Promise.reject(new ValueError(`spawn { node } must be a node name or 'any' (got ${typeof options.node})`));
    const node = options.node === 'any' ? this.leastLoaded() : options.node;
    if (node === this.node) return this.system.placement.spawn(def, { ...options, node: undefined }, parent);
    return this.spawnOn(node, def, options, parent);
  }

  private leastLoaded(): string {
    let best: NodeInfo | undefined;
    for (const info of this.membership.live()) if (best === undefined || info.actors < best.actors) best = info;
    return best!.node;
  }

  private async spawnOn(node: string, def: ActorDefinition, options: SpawnOptions, parent: string | null): Promise<ActorRef> {
    const request = await spawnRequest(def, options, parent);
    request.args = this.handles.export(request.args, `@${node}`);
    if (!(await this.whenUp(node))) throw new NoProcError(`the node ${node} is not up; spawn on a live node (system.nodes()) or with { node: 'any' }`);
    const pairs = this.remote.pairs(request.args);
    if (parent !== null) pairs.push([parent, this.node]);
    this.membership.placed(node);
    const answer = (await this.calls.call(node, 'spawn', [request], pairs)) as { id: string; name?: string };
    return spawned(this.system, this.remote, node, answer, parent);
  }

  /** Waits (up to downAfter, while this node is new to the cluster) for `node` to be heard. */
  private whenUp(node: string): Promise<boolean> {
    if (this.membership.isUp(node)) return Promise.resolve(true);
    if (Date.now() - this.membership.since > this.membership.downAfter) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), this.membership.downAfter);
      const check = (): void => {
        if (this.membership.isUp(node)) done(true);
      };
      const done = (up: boolean): void => {
        clearTimeout(timer);
        this.upWaiters.delete(check);
        resolve(up);
      };
      this.upWaiters.add(check);
    });
  }

  // ---- what arrives -----------------------------------------------------------------------------

  private deliver(from: string, packet: Sequenced): void {
    try {
      switch (packet.k) {
        case 'm':
          return this.remote.arrive(from, packet.e, packet.l);
        case 'r':
          return this.remote.answered(packet);
        case 'c':
          this.remote.learn(packet.l);
          return this.calls.settle(packet.c, packet.ok, packet.value);
        case 'o':
          this.remote.learn(packet.l);
          if (packet.c === undefined) return void this.serve(from, packet.op, packet.args);
          return this.calls.answer(from, packet.c, () => this.serve(from, packet.op, packet.args), (value) => {
            const pairs = this.remote.pairs(value);
            return pairs.length > 0 ? pairs : undefined;
          }, (value) => this.handles.export(value, `@${from}`));
        case 'x':
          return;
      }
    } catch (error) {
      this.log.error({ err: error, from, kind: packet.k }, 'a packet from another node could not be handled');
    }
  }

  private serve(from: string, op: string, args: unknown[]): unknown {
    if (op === 'spawn') return serveSpawn(this.system, this.remote, from, args[0] as SpawnRequest);
    const dot = op.indexOf('.');
    if (dot > 0) {
      const part = this.parts.get(op.slice(0, dot));
      if (part?.serve) return part.serve(from, op.slice(dot + 1), args);
    }
    return this.remote.serve(from, op, args);
  }

  /** Packets a node never acknowledged: messages become dead letters (an ask: NoProcError). */
  private failed(_node: string, packets: Sequenced[]): void {
    for (const packet of packets) if (packet.k === 'm') this.system.deadLetter(packet.e);
  }

  private nodeUp(node: string, inc: string): void {
    this.streams.known(node, inc);
    this.log.info({ peer: node }, 'nodeup');
    for (const check of [...this.upWaiters]) check();
    this.system.emit('nodeup', node);
  }

  private nodeDown(node: string, _inc: string, why: string): void {
    // a goodbye is news; silence is a warning
    if (why === LEFT) this.log.info({ peer: node, why }, 'nodedown');
    else this.log.warn({ peer: node, why }, 'nodedown');
    this.streams.forget(node);
    this.calls.down(node);
    this.remote.nodeDown(node);
    for (const part of this.parts.values()) part.nodeDown?.(node);
    this.system.emit('nodedown', node);
  }

  async leave(): Promise<void> {
    if (this.left) return;
    this.left = true;
    for (const part of this.parts.values()) await part.leave?.();
    clearInterval(this.timer);
    this.membership.heartbeat(true);
    leaveRegistry(this.remote);
    joinedClusters().delete(this);
    this.calls.rejectAll(new NoProcError(`system ${this.system.name} left the cluster before the answer`));
    // say goodbye if the server is there; a lost connection must not hold the shutdown up
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.nats.flush().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
    clearTimeout(timer);
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    await this.nats.close();
  }
}
