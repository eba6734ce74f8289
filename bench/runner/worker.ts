import { PriceTable, sharedCounter, type MemoryStoreConfig, type ModelPrice, type Registry, type Scenario, type Strategy, type StrategyPlugin, type TurnRow } from '../../core/index.js';
import { replayEpisode, warmRequests, type Peers } from './episode.js';
import { EpisodeUnpacker, type PackedEpisode } from './transfer.js';

/** One unit of replay work: consecutive episodes of one dataset through one strategy. */
export interface ReplayJob {
  dataset: string;
  strategy: { name: string; options?: Record<string, unknown> };
  scenario: Scenario;
  /** The price of the scenario's model, as the main thread's price table gives it. */
  price: ModelPrice;
  /** Where strategies that keep long-term memory keep it. @default in process, per episode */
  memory?: MemoryStoreConfig;
  /** URL of the module whose `strategies` export is the registry to create the strategy from. */
  strategyModule: string;
  episodes: PackedEpisode[];
  /** Two episodes of the dataset that stand for other conversations. */
  peers: { first?: PackedEpisode; second?: PackedEpisode };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- plug-ins have their own option types
type StrategyRegistry = Registry<StrategyPlugin<any>>;

const unpacker = new EpisodeUnpacker();
const registries = new Map<string, Promise<StrategyRegistry>>();
// One instance per strategy configuration, kept across jobs as the main thread keeps one per
// dataset: strategies cache what they build per knowledge base and intent profile.
const instances = new Map<string, Strategy>();

async function strategyFor(job: ReplayJob): Promise<Strategy> {
  const key = JSON.stringify([job.strategyModule, job.strategy, job.scenario.model, job.memory]);
  let strategy = instances.get(key);
  if (!strategy) {
    let registry = registries.get(job.strategyModule);
    if (!registry) {
      registry = import(job.strategyModule).then((module: { strategies: StrategyRegistry }) => module.strategies);
      registries.set(job.strategyModule, registry);
    }
    const plugin = (await registry).get(job.strategy.name);
    strategy = plugin.create({ ...plugin.defaults, ...job.strategy.options }, { counter: sharedCounter(job.scenario.model), model: job.scenario.model, ...(job.memory ? { memory: job.memory } : {}) });
    instances.set(key, strategy);
  }
  return strategy;
}

// The peers of each strategy instance and dataset, with the warm requests assembled once from them.
const peersOf = new Map<string, Promise<Peers>>();

/** Replays a job's episodes in order, each turn timed in this thread; one row list per episode. */
export default async function replayJob(job: ReplayJob): Promise<TurnRow[][]> {
  const strategy = await strategyFor(job);
  const context = { counter: sharedCounter(job.scenario.model), prices: new PriceTable([job.price]), scenario: job.scenario };
  const key = JSON.stringify([job.strategyModule, job.strategy, job.scenario, job.dataset]);
  let peers = peersOf.get(key);
  if (!peers) {
    const chosen: Peers = { first: job.peers.first && unpacker.unpack(job.peers.first), second: job.peers.second && unpacker.unpack(job.peers.second) };
    peers = warmRequests(strategy, chosen, context).then((warm) => ({ ...chosen, warm }));
    peersOf.set(key, peers);
  }
  const rows: TurnRow[][] = [];
  for (const packed of job.episodes) rows.push(await replayEpisode(job.dataset, job.strategy.name, strategy, unpacker.unpack(packed), context, await peers));
  return rows;
}
