/**
 * The cluster Pool (DESIGN §10): batches of a `new Pool(n, { cluster: true })` go to a NATS queue
 * group that every node serves, so each batch runs on a pool worker of one node (an exclusive host
 * there, returned to its pool after). The node that takes a batch says so on the pair's stream;
 * when that node goes down before answering, the batch rejects BrokenWorkerError. A batch nobody
 * took within downAfter (lost in a broker outage) is published again.
 */
import { deserialize, serialize } from 'node:v8';
import { newId } from '../id.js';
import type { Locator } from '../define.js';
import { BrokenWorkerError, NoProcError, reviveError, SerializationError, serializeError } from '../errors.js';
import { WIRE_VERSION } from './frame.js';
import type { ClusterNode, NodePart } from './node.js';
import { moduleOf, specifierOf } from './spawn.js';

interface Batch {
  worker?: { progress?: unknown; logConfig?: unknown };
  initializer?: [Locator, unknown[]];
  locators: Locator[];
}

interface Task {
  from: string;
  id: string;
  locator: Locator;
  batch: Batch;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  taken(): void;
  node?: string;
  frame: Uint8Array;
  at: number;
}

const QUEUE = 'workers';

/** A locator as other nodes find it (module paths relative to the application root), and back. */
function portable(locator: Locator, map: (module: string) => string): Locator {
  return locator.by === 'export' ? { ...locator, module: map(locator.module) } : locator;
}

function portableBatch(batch: Batch, map: (module: string) => string): Batch {
  const out: Batch = { ...batch, locators: batch.locators.map((locator) => portable(locator, map)) };
  if (batch.initializer) out.initializer = [portable(batch.initializer[0], map), batch.initializer[1]];
  if (batch.worker) out.worker = { ...batch.worker, progress: undefined, logConfig: undefined };
  return out;
}

export class ClusterPool implements NodePart {
  private readonly pending = new Map<string, Pending>();
  private subscription: { unsubscribe(): void } | undefined;

  constructor(private readonly member: ClusterNode) {}

  start(): void {
    this.subscription = this.member.nats.subscribe(this.member.subjects.pool, {
      queue: QUEUE,
      callback: (error, msg) => {
        if (error !== null) return;
        if (msg.data[0] !== WIRE_VERSION) return void this.member.log.error({ version: msg.data[0] }, 'a pool task of an unknown wire version was refused');
        void this.work(deserialize(Buffer.from(msg.data.buffer, msg.data.byteOffset + 1, msg.data.length - 1)) as Task);
      },
    });
  }

  /** The requester's side: publish the batch to the queue group; settle when a node answers. */
  run(locator: Locator, batch: Batch, taken: () => void): Promise<unknown> {
    const task: Task = { from: this.member.node, id: newId(), locator: portable(locator, specifierOf), batch: portableBatch(batch, specifierOf) };
    const body = serialize(task);
    const frame = Buffer.allocUnsafe(body.length + 1);
    frame[0] = WIRE_VERSION;
    body.copy(frame, 1);
    const max = this.member.nats.info?.max_payload;
    if (max !== undefined && frame.length > max) {
      return Promise.reject(new SerializationError(`a cluster Pool batch of ${frame.length} bytes is over the NATS server's max_payload (${max}); pass smaller items or a smaller chunksize`));
    }
    return new Promise((resolve, reject) => {
      this.pending.set(task.id, { resolve, reject, taken, frame, at: Date.now() });
      this.member.nats.publish(this.member.subjects.pool, frame);
    });
  }

  /** The serving side: run it on a pool worker of this node and answer the requester. */
  private async work(task: Task): Promise<void> {
    const answer = (op: string, args: unknown[]): void => {
      if (task.from === this.member.node) void this.serve(task.from, op, args);
      else if (this.member.membership.isUp(task.from)) this.member.streams.send(task.from, { k: 'o', op: `pool.${op}`, args }, false);
    };
    answer('taken', [task.id]);
    const system = this.member.system;
    try {
      const host = await system.hostPool().exclusiveHost();
      const batch = portableBatch(task.batch, moduleOf);
      if (batch.worker) batch.worker.progress = new Int32Array(new SharedArrayBuffer(8));
      try {
        answer('done', [task.id, true, await system.runTask(host, portable(task.locator, moduleOf), [batch])]);
      } finally {
        host.post({ t: 'close' });
      }
    } catch (error) {
      answer('done', [task.id, false, serializeError(error)]);
    }
  }

  serve(from: string, op: string, args: unknown[]): void {
    const pending = this.pending.get(args[0] as string);
    if (!pending) return;
    if (op === 'taken') {
      pending.node = from;
      pending.taken();
    } else if (op === 'done') {
      this.pending.delete(args[0] as string);
      if (args[1] === true) pending.resolve(args[2]);
      else pending.reject(reviveError(args[2]));
    }
  }

  /** Batches no node has taken for downAfter go out again (a broker outage may have lost them). */
  tick(now: number): void {
    for (const pending of this.pending.values()) {
      if (pending.node !== undefined || now - pending.at < this.member.membership.downAfter) continue;
      pending.at = now;
      this.member.nats.publish(this.member.subjects.pool, pending.frame);
    }
  }

  nodeDown(node: string): void {
    for (const [id, pending] of this.pending) {
      if (pending.node !== node) continue;
      this.pending.delete(id);
      pending.reject(new BrokenWorkerError(`the node ${node} running this task went down; the pool runs the rest elsewhere`));
    }
  }

  leave(): Promise<void> {
    this.subscription?.unsubscribe();
    for (const pending of this.pending.values()) pending.reject(new NoProcError('this node left the cluster before the task finished'));
    this.pending.clear();
    return Promise.resolve();
  }
}
