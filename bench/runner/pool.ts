import Tinypool from 'tinypool';
import type { Episode, Strategy, TurnRow } from '../../core/index.js';
import { replayEpisode, warmRequests, type Peers, type ReplayContext } from './episode.js';
import { LaneDispatcher, type NotStarted } from './lanes.js';
import { EpisodePacker } from './transfer.js';
import type { ReplayJob } from './worker.js';

/** Consecutive episodes of one dataset x strategy pair, replayed as one unit of work. */
export interface Batch {
  dataset: string;
  strategy: { name: string; options?: Record<string, unknown> };
  /** Creates the pair's strategy in this thread (the in-process replay makes one per pair). */
  create(): Strategy;
  episodes: Episode[];
  /** The turns of those episodes. */
  turns: number;
  /** Two episodes of the dataset that stand for other conversations. */
  peers: Peers;
}

/** Replays batches and returns one row list per episode; `close` frees what it holds. */
export interface BatchReplayer {
  replay(batch: Batch): Promise<TurnRow[][]>;
  close(): Promise<void>;
}

/** Replays in this thread, one batch at a time, with one strategy instance per pair. */
export function inProcessReplayer(context: ReplayContext): BatchReplayer {
  let current: { create: Batch['create']; strategy: Strategy; peers: Peers } | undefined;
  let yielded = performance.now();
  return {
    async replay(batch) {
      if (current?.create !== batch.create) {
        const strategy = batch.create();
        current = { create: batch.create, strategy, peers: { ...batch.peers, warm: await warmRequests(strategy, batch.peers, context) } };
      }
      const rows: TurnRow[][] = [];
      for (const episode of batch.episodes) rows.push(await replayEpisode(batch.dataset, batch.strategy.name, current.strategy, episode, context, current.peers));
      // Synchronous strategies never give the event loop a turn; yield now and then so that
      // Ctrl-C (and anything else waiting on the loop) is handled during a long replay.
      if (performance.now() - yielded > 50) {
        await new Promise((resolve) => setImmediate(resolve));
        yielded = performance.now();
      }
      return rows;
    },
    close: async () => {
      current = undefined;
    },
  };
}

/**
 * Replays in worker threads; each worker times its own turns and keeps its own strategies. The
 * batches of a dataset x strategy pair stay on one thread while the others have work of their
 * own ({@link LaneDispatcher}), so a pair's set-up (a router trained on banking77's 8,000
 * examples, a knowledge base embedded) is done once, not once per thread. After `signal`
 * aborts, batches not started are rejected with {@link NotStarted}.
 */
export function workerReplayer({ scenario, prices, memory }: ReplayContext, threads: number, strategyModule: string, signal?: AbortSignal): BatchReplayer {
  const filename = new URL('./worker-entry.mjs', import.meta.url).href;
  const pools = Array.from({ length: threads }, () => new Tinypool({ filename, minThreads: 1, maxThreads: 1 }));
  const lanes = new LaneDispatcher<ReplayJob, TurnRow[][]>(
    pools.map((pool) => (job) => pool.run(job) as Promise<TurnRow[][]>),
    signal,
  );
  const packer = new EpisodePacker();
  const price = prices.get(scenario.model);
  return {
    replay: (batch) => {
      const peers = { ...(batch.peers.first ? { first: packer.pack(batch.peers.first) } : {}), ...(batch.peers.second ? { second: packer.pack(batch.peers.second) } : {}) };
      const job: ReplayJob = { dataset: batch.dataset, strategy: batch.strategy, scenario, price, ...(memory ? { memory } : {}), strategyModule, episodes: batch.episodes.map((e) => packer.pack(e)), peers };
      return lanes.submit({ group: JSON.stringify([batch.dataset, batch.strategy]), size: batch.turns, job });
    },
    close: async () => {
      await Promise.all(pools.map((pool) => pool.destroy()));
    },
  };
}
