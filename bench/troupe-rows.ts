/**
 * troupe's side of `npm run bench`.
 *
 * Each function measures one troupe metric and resolves to a number in the
 * unit given in its doc comment, or `undefined` while not implemented (the
 * table then prints `n/a`). bench/index.ts calls them one at a time, after all
 * peers ran, each with a time limit (see TROUPE_TIMEOUT_MS there); a throw or a
 * timeout also prints `n/a`.
 *
 * Rules so the comparison with the peers stays fair:
 * - return the median of >= 5 samples: use `measure(fn, { runs: 5 })` from
 *   ./harness.js (one unmeasured warm-up by default); time with
 *   `performance.now()`.
 * - sizes: keep each function well under ~10 s on 2 cores.
 * - clean up: stop every actor / terminate every worker before resolving, so
 *   the bench process exits by itself.
 * - the peer each value is compared against is named in the doc comment;
 *   mirror its workload (see bench/peers/node.ts and bench/peers/mp_bench.py).
 */

/**
 * ms per process: troupe `Process(noop).start()` → `join()`.
 * Peers: Python Process start→join (fork / forkserver / spawn), tinypool and
 * piscina `run()` round trip, `new Worker` start→exit.
 */
export async function processStartJoin(): Promise<number | undefined> {
  return undefined;
}

/**
 * µs per actor: spawn + start of an idle actor in the current thread.
 * Peer: xstate `createActor(machine).start()` (10k actors per sample).
 */
export async function actorSpawn(): Promise<number | undefined> {
  return undefined;
}

/**
 * bytes per idle, started actor (retained JS heap).
 * Peer: xstate idle actor. Measure the same way: `heapBytesPerItem(create,
 * getGc() ? 20_000 : 100_000, dispose)` from ./harness.js.
 */
export async function actorMemory(): Promise<number | undefined> {
  return undefined;
}

/**
 * msgs/s: two actors in the same thread ping-ponging (count every delivered
 * message; peer uses 100k messages per sample).
 * Peer: two xstate actors ping-ponging via `sendTo`.
 */
export async function inHostMsgs(): Promise<number | undefined> {
  return undefined;
}

/**
 * msgs/s: one-way `send` from an actor in worker A to an actor in worker B
 * (200k messages per sample, timed until B has received all of them).
 * Peers: raw worker→worker `port.postMessage`, unbatched and batched by 64.
 */
export async function crossWorkerMsgs(): Promise<number | undefined> {
  return undefined;
}

/**
 * µs per round trip: sequential `ask` (request → reply) to an actor in another
 * worker.
 * Peers: main↔worker `worker.postMessage` ping-pong; worker↔worker
 * MessageChannel ping-pong.
 */
export async function askRoundTrip(): Promise<number | undefined> {
  return undefined;
}

/**
 * items/s: troupe multiprocessing `Queue` put → get between two processes
 * (small ints; Python peer uses 100k per sample).
 * Peers: Python `Queue`, `SimpleQueue`, `Pipe` one-way.
 */
export async function queueThroughput(): Promise<number | undefined> {
  return undefined;
}

/**
 * µs per round trip: troupe `Pipe()` ping-pong between two processes.
 * Peers: Python `Pipe` ping-pong; raw MessageChannel round trip.
 */
export async function pipeRoundTrip(): Promise<number | undefined> {
  return undefined;
}

/**
 * ns per acquire+release of an uncontended troupe `Lock`.
 * Peer: Python `multiprocessing.Lock` (1M iterations per sample).
 */
export async function lockUncontended(): Promise<number | undefined> {
  return undefined;
}

/**
 * handoffs/s: lock ownership passing strictly alternately between two
 * processes (each transfer counts as one handoff).
 * Peer: Python, two `Lock`s used as a ping-pong pair (20k rounds = 40k handoffs).
 */
export async function lockHandoffs(): Promise<number | undefined> {
  return undefined;
}

/**
 * tasks/s: troupe `Pool(2).map(tiny, range(20_000), chunksize=1)`.
 * Peers: Python `Pool(2).map` chunksize=1; tinypool and piscina (2 threads,
 * 20k no-op tasks in flight).
 */
export async function poolMap(): Promise<number | undefined> {
  return undefined;
}

/**
 * µs: a supervised in-host actor crashes → its replacement is running and
 * answering (one_for_one, same thread).
 * Reference: Erlang/OTP supervisor restart 8.6 µs (logger off), 150 µs (default logger).
 */
export async function restartInHost(): Promise<number | undefined> {
  return undefined;
}

/**
 * ms: the worker hosting a supervised actor dies (process.exit / crash) → the
 * actor answers again from a fresh worker.
 * Peer: `new Worker` start → first message (measured, plain and with
 * inherited `--import tsx`).
 */
export async function restartAfterWorkerDeath(): Promise<number | undefined> {
  return undefined;
}
