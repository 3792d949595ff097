import type { JsMsg } from '@nats-io/jetstream';
import { legacyRawFilterSubject, RAW_SHARDS, rawShardFilter } from '@switchyard/contracts';
import { RAW_HEADERS, runConsumer, startShardLeases, STREAMS, leaseOwner } from '@switchyard/bus';
import { KeyedSequencer, type Closeable, type Ticket } from '@switchyard/kernel';
import type { NormalizerParts } from './parts.js';

/** Lease timing; the defaults suit production, tests shorten them. */
export interface RawLaneTuning {
  leaseTtlMs: number;
  leaseTickMs: number;
}

/** Options for {@link startRawLanes}. */
export interface RawLaneOptions extends Partial<RawLaneTuning> {
  /** Raw deliveries handled at once per shard held. */
  concurrency: number;
  /**
   * Handles one delivery. `ticket` (absent for deliveries stored before RAW had shards, which carry no
   * order) was taken in the order the shard's consumer handed the delivery out, within its account.
   */
  handle(message: JsMsg, ticket: Ticket | undefined): Promise<void>;
}

const DEFAULTS: RawLaneTuning = { leaseTtlMs: 6_000, leaseTickMs: 2_000 };

/**
 * RAW's lanes: {@link RAW_SHARDS} shards by account (`raw.*.*.p07`), each with one durable consumer
 * (`norm_07`) worked by one process at a time through leases in the `locks` bucket (the delivery lanes'
 * scheme, bus shard-leases.ts). One process sees all of an account's deliveries in stream order, so the
 * normalizer can publish the events of one record in the order the hub took them in while accounts, and
 * records within an account, run in parallel: each account of a shard has a {@link KeyedSequencer} whose
 * tickets are taken as the deliveries arrive. Deliveries stored before the shards existed
 * (`raw.<provider>.<account>`) are still normalized, without order, by the shared `normalizer` consumer.
 */
export async function startRawLanes(ctx: NormalizerParts, options: RawLaneOptions): Promise<Closeable> {
  const tuning: RawLaneTuning = { ...DEFAULTS, ...options };
  const shards = new Map<number, Closeable>();

  const start = async (shard: number) => {
    const accounts = new Map<string, KeyedSequencer>();
    /** A ticket in the delivery's account's order; the sequencer goes once its last ticket is done. */
    const ticketFor = (message: JsMsg): Ticket => {
      const account = message.headers?.get(RAW_HEADERS.account) ?? '';
      let sequencer = accounts.get(account);
      if (!sequencer) accounts.set(account, (sequencer = new KeyedSequencer()));
      const ticket = sequencer.ticket();
      const owner = sequencer;
      return {
        keys: (keys) => ticket.keys(keys),
        done: () => {
          ticket.done();
          if (owner.size === 0 && accounts.get(account) === owner) accounts.delete(account);
        },
      };
    };
    const lane = await runConsumer(ctx.bus, {
      stream: STREAMS.RAW,
      durable: `norm_${String(shard).padStart(2, '0')}`,
      filterSubject: rawShardFilter(shard),
      concurrency: options.concurrency,
      logger: ctx.logger,
      retryDelayMs: 2_000,
      resumeInOrder: true,
      // The ticket is taken here, synchronously, in the order the consumer hands deliveries out.
      handle: (message) => options.handle(message, ticketFor(message)),
    });
    shards.set(shard, lane);
  };
  const stop = async (shard: number) => {
    const lane = shards.get(shard);
    shards.delete(shard);
    await lane?.close();
  };

  const legacy = await runConsumer(ctx.bus, {
    stream: STREAMS.RAW,
    durable: 'normalizer',
    filterSubject: legacyRawFilterSubject(),
    concurrency: options.concurrency,
    logger: ctx.logger,
    retryDelayMs: 2_000,
    // Only an upgrade's leftovers (or an older edge still running) arrive here: idle pulls can be long.
    pullExpiresMs: 15_000,
    idleHeartbeatMs: 5_000,
    handle: (message) => options.handle(message, undefined),
  });

  const leases = await startShardLeases({
    kv: ctx.bus.kv.locks,
    name: 'normalizer',
    owner: leaseOwner(),
    shards: RAW_SHARDS,
    ttlMs: tuning.leaseTtlMs,
    tickMs: tuning.leaseTickMs,
    logger: ctx.logger,
    start,
    stop,
  });

  return {
    close: async () => {
      await leases.close();
      await legacy.close();
    },
  };
}
