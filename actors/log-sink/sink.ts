/**
 * The log sink: where the multiprocessing logger's records from every thread of one system become
 * lines. Workers' record batches reach its extension as host messages (one postMessage per batch)
 * and are written in arrival order through the one destination (destination.ts); main-thread
 * records are written where they are made. The sink is flushed at system shutdown, and workers
 * get the shared settings (level, stderr) from its `config` op, to filter where they log.
 */
import type { Logger } from 'pino';
import { defineActor, untracked } from '../../src/define.js';
import { defineExtension, type SystemExtension } from '../../src/extension.js';
import type { Host } from '../../src/hosts/host.js';
import type { SystemImpl } from '../../src/system/system.js';
import { flushLines, writeRecords } from './destination.js';
import { CONFIG_BYTES, SINK_NAME, type LogConfig, type RecordBatch, type SinkMessage } from './protocol.js';

const CONFIG_SLOT = Symbol.for('troupe.logConfig');

/** The settings every thread of this process shares (made in main on first use). */
export function sharedLogConfig(): LogConfig {
  const slots = globalThis as unknown as Record<symbol, LogConfig | undefined>;
  return (slots[CONFIG_SLOT] ??= new Int32Array(new SharedArrayBuffer(CONFIG_BYTES)));
}

interface SinkState {
  config: LogConfig;
  log: Logger;
}

/** The sink actor (placement 'main', one per system, named troupe.log-sink). */
export const LogSink = untracked(
  defineActor<SinkState, SinkMessage>({
    name: 'LogSink',
    init: (ctx) => ({ config: sharedLogConfig(), log: (ctx.system as unknown as { log: Logger }).log }),
    receive: {
      records: (state, msg) => {
        writeRecords(msg.records, state.config, state.log);
        return state;
      },
      flush: async (state, _msg, ctx) => {
        await flushLines();
        ctx.reply(true);
        return state;
      },
    },
    onStop: () => flushLines(),
  }),
);

class Sink implements SystemExtension {
  readonly ops = {
    config: (): SharedArrayBuffer => sharedLogConfig().buffer as SharedArrayBuffer,
  };

  constructor(private readonly system: SystemImpl) {
    // placement 'main' with a synchronous init: the sink is up when spawn() returns
    system.spawn(LogSink, { placement: 'main', name: SINK_NAME }).catch(() => {});
  }

  hostMessage(_host: Host, message: unknown): void {
    writeRecords((message as RecordBatch).records, sharedLogConfig(), this.system.log);
  }

  shutdown(): Promise<void> {
    return flushLines();
  }
}

/** The log sink of a system: its records are written from any thread (created on first use). */
export const LOG_SINK = defineExtension<Sink>({
  name: SINK_NAME,
  create: (system) => new Sink(system),
});
