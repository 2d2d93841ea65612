/**
 * Who holds and waits: every caller that uses a primitive (an actor, a Process, main-thread script
 * code, a worker's own code `host:<site>`) gets a token, unique in the process, that lock words and
 * waiter queues name it by. Callers are monitored (a host's own code ends with its host), so the
 * manager learns of every death; a request that arrives after its caller died is refused.
 */
import { NoProcError } from '../../src/errors.js';
import type { ActorContext, ActorRef } from '../../src/types.js';
import { MAIN_NAME, MAIN_TOKEN, nameBytes, type TokenReply } from './protocol.js';

export type Reply = (ok: boolean, value: unknown) => void;

interface Holder {
  key: string;
  name: string;
  bytes: Uint8Array;
}

const TOKENS = Symbol.for('troupe.sync.nextToken');
const RECENT_DEAD = 10_000;

/** Tokens are unique in the process (across systems), so a stale token is never someone else's. */
function nextToken(): number {
  const slots = globalThis as unknown as Record<symbol, number | undefined>;
  const token = slots[TOKENS] ?? MAIN_TOKEN + 1;
  slots[TOKENS] = token + 1;
  return token;
}

export class Holders {
  private readonly live = new Map<number, Holder>();
  private readonly byKey = new Map<string, number>();
  private readonly deadNames = new Map<number, string>();

  constructor(
    private readonly ctx: ActorContext,
    private readonly labelOf: (id: string) => string | undefined,
  ) {
    this.live.set(MAIN_TOKEN, { key: 'main', name: MAIN_NAME, bytes: nameBytes(MAIN_NAME) });
  }

  /** The caller's token (made, and the caller monitored, on its first request). */
  token(key: string): TokenReply {
    const known = this.byKey.get(key);
    if (known !== undefined) return { token: known, name: this.live.get(known)!.name };
    const token = nextToken();
    const name = key.startsWith('host:') ? `host-${key.slice(5)}` : (this.labelOf(key) ?? key);
    this.live.set(token, { key, name, bytes: nameBytes(name) });
    this.byKey.set(key, token);
    if (!key.startsWith('host:')) this.ctx.monitor({ id: key } as ActorRef);
    return { token, name };
  }

  isLive(token: number): boolean {
    return this.live.has(token);
  }

  bytesOf(token: number): Uint8Array | undefined {
    return this.live.get(token)?.bytes;
  }

  nameOf(token: number): string {
    return this.live.get(token)?.name ?? this.deadNames.get(token) ?? `holder-${token}`;
  }

  /** A request still in flight when its caller died is refused (it must not queue or hold). */
  refuseDead(token: number, reply: Reply): boolean {
    if (this.isLive(token)) return false;
    reply(false, new NoProcError(`${this.nameOf(token)} exited before its request reached the lock manager`));
    return true;
  }

  /** The token of the caller `key` if it had one; it is dead from now on. */
  died(key: string): { token: number; name: string } | undefined {
    const token = this.byKey.get(key);
    if (token === undefined) return undefined;
    const holder = this.live.get(token)!;
    this.live.delete(token);
    this.byKey.delete(key);
    this.deadNames.set(token, holder.name);
    if (this.deadNames.size > RECENT_DEAD) this.deadNames.delete(this.deadNames.keys().next().value!);
    return { token, name: holder.name };
  }
}
