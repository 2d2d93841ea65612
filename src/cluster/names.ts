/**
 * Global names (DESIGN §10): one NATS KV bucket per cluster, key = the name, value = where its
 * holder lives. A name is taken with the bucket's revision-checked create (two nodes racing for a
 * name: one wins, the other gets NameTakenError), read from a local replica the bucket's watch
 * keeps current (so `system.get` stays synchronous), and freed — by a delete that names the
 * revision it frees — when its holder exits or its node goes down.
 */
import { NameTakenError } from '../errors.js';
import { Ref } from '../ref.js';
import type { ActorDefinition, ActorRef, SpawnOptions } from '../types.js';
import type { ClusterNode } from './node.js';

interface Holder {
  node: string;
  id: string;
  rev: number;
}

/** The part of a KV bucket used here. */
interface Bucket {
  create(key: string, data: string): Promise<number>;
  update(key: string, data: string, revision: number): Promise<number>;
  delete(key: string, options?: { previousSeq: number }): Promise<void>;
  watch(): Promise<AsyncIterable<{ key: string; revision: number; operation: string; string(): string }> & { stop(): void }>;
}

// Keys are limited to [-/_=.a-zA-Z0-9]: a name travels base64url-encoded.
const keyOf = (name: string): string => Buffer.from(name).toString('base64url');
const nameOf = (key: string): string => Buffer.from(key, 'base64url').toString();

export class GlobalNames {
  private readonly replica = new Map<string, Holder>();
  private watcher: { stop(): void } | undefined;

  constructor(
    private readonly member: ClusterNode,
    private readonly bucket: Bucket,
  ) {}

  async watch(): Promise<void> {
    const iterator = await this.bucket.watch();
    this.watcher = iterator;
    void (async () => {
      try {
        for await (const entry of iterator) {
          const name = nameOf(entry.key);
          if (entry.operation !== 'PUT') this.replica.delete(name);
          else {
            const { node, id } = JSON.parse(entry.string()) as { node: string; id: string };
            this.replica.set(name, { node, id, rev: entry.revision });
          }
          this.shown(name);
        }
      } catch (error) {
        this.member.log.warn({ err: error }, 'the global-name watch ended');
      }
    })();
  }

  /** Tells the hosts' name tables (a local name of the same name hides the global one). */
  private shown(name: string): void {
    const system = this.member.system;
    system.nameChanged(name, system.directory.idOf(name));
  }

  /** Every global name whose holder is up, with its id. */
  entries(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const name of this.replica.keys()) {
      const ref = this.lookup(name);
      if (ref) out.push([name, ref.id]);
    }
    return out;
  }

  holder(name: string): Holder | undefined {
    const holder = this.replica.get(name);
    return holder && holder.id !== '' && this.member.membership.isUp(holder.node) ? holder : undefined;
  }

  lookup(name: string): ActorRef | undefined {
    const holder = this.holder(name);
    if (!holder) return undefined;
    if (holder.node !== this.member.node) this.member.remote.locations.set(holder.id, holder.node);
    else if (!this.member.system.directory.has(holder.id)) return undefined;
    return new Ref(this.member.system.runtime, holder.id, name);
  }

  /** Takes the name, spawns its holder (here or on `options.node`), and frees the name when it exits. */
  async spawn(def: ActorDefinition, options: SpawnOptions, parent: string | null): Promise<ActorRef> {
    const name = options.name!;
    const key = keyOf(name);
    const node = options.node === undefined ? this.member.node : options.node;
    let rev = await this.take(name, key, node);
    let ref: ActorRef;
    try {
      ref = await this.member.system.placement.spawn(def, options, parent);
    } catch (error) {
      await this.bucket.delete(key, { previousSeq: rev }).catch(() => {});
      throw error;
    }
    const where = this.member.remote.nodeOf(ref.id) ?? this.member.node;
    rev = await this.bucket.update(key, JSON.stringify({ node: where, id: ref.id }), rev);
    this.replica.set(name, { node: where, id: ref.id, rev });
    this.shown(name);
    void ref.exited.then(() => {
      if (this.replica.get(name)?.rev === rev) {
        this.replica.delete(name);
        this.shown(name);
      }
      return this.bucket.delete(key, { previousSeq: rev });
    }).catch(() => {});
    return ref;
  }

  /** Revision-checked create; a name whose holder's node is down is taken over. */
  private async take(name: string, key: string, node: string): Promise<number> {
    const value = JSON.stringify({ node, id: '' });
    try {
      return await this.bucket.create(key, value);
    } catch (error) {
      const held = this.replica.get(name);
      if (held !== undefined && held.id !== '' && !this.member.membership.isUp(held.node)) {
        await this.bucket.delete(key, { previousSeq: held.rev }).catch(() => {});
        return this.bucket.create(key, value);
      }
      throw new NameTakenError(`the global name "${name}" is already registered in the cluster; pick another or stop its holder first`, { cause: error });
    }
  }

  nodeDown(node: string): void {
    for (const [name, holder] of [...this.replica]) {
      if (holder.node !== node) continue;
      this.replica.delete(name);
      this.shown(name);
      // every live node tries; the revision check lets exactly one delete count
      void this.bucket.delete(keyOf(name), { previousSeq: holder.rev }).catch(() => {});
    }
  }

  leave(): Promise<void> {
    this.watcher?.stop();
    return Promise.resolve();
  }
}

/** Opens (creating if needed) the cluster's name bucket and starts its watch. */
export async function openNames(member: ClusterNode): Promise<GlobalNames> {
  const { Kvm } = (await import('@nats-io/kv')) as unknown as { Kvm: new (nc: unknown) => { create(name: string, options: Record<string, unknown>): Promise<Bucket> } };
  const bucket = await new Kvm(member.nats).create(member.subjects.bucket, { history: 1 });
  const names = new GlobalNames(member, bucket);
  await names.watch();
  member.parts.set('names', names);
  return names;
}
