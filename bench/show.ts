import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, didYouMean, InputError, PriceTable, queryOf, recordedTimeOf, sharedCounter, type AssembledContext, type DatasetLoader, type Registry, type RunResult, type StrategyPlugin } from '../core/index.js';
import { billCall, type CacheState } from './runner/billing.js';
import { peerOf, warmRequests, type Peers } from './runner/episode.js';
import { explainProbes } from './runner/probes.js';

/** Which turn of which replay to show. */
export interface ShowOptions {
  dataset: string;
  strategy: string;
  episode: string;
  turn: number;
  registries: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- plug-ins have their own option types
    datasets: Registry<DatasetLoader<any>>;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    strategies: Registry<StrategyPlugin<any>>;
  };
  prices?: PriceTable;
}

/** What a strategy sent at one turn, with its bill and each probe's hits and misses. */
export interface ShownTurn {
  episode: string;
  turn: number;
  context: AssembledContext;
  inputTokens: number;
  cachedTokens: number;
  probes: ReturnType<typeof explainProbes>;
}

/**
 * The strategy as the run created it: its recorded options, and, for a strategy whose settings are
 * tuned per dataset, the settings the run recorded for this dataset given as options, so a re-tune
 * since changes nothing. A result that recorded none (written before ctxbench recorded them) is
 * refused: today's tuned values may not be the run's, and the turn shown would not be the one
 * measured.
 */
function strategyAsRun(result: RunResult, plugin: StrategyPlugin<Record<string, unknown>>, name: string, dataset: string, counter: ReturnType<typeof sharedCounter>, model: string) {
  const recorded = result.config.strategySettings?.[name]?.[dataset];
  if (plugin.settingsFor && recorded === undefined) {
    throw new ConfigError(
      `the result records no settings for strategy "${name}" on dataset "${dataset}" (config.strategySettings): its settings are tuned per dataset, and today's may not be the run's`,
      'run the replay again with this version of ctxbench, then show its turns',
    );
  }
  try {
    return plugin.create({ ...plugin.defaults, ...(result.config.strategyOptions?.[name] ?? {}), ...(recorded ?? {}) }, { counter, model });
  } catch (error) {
    if (!(error instanceof ConfigError) || recorded === undefined) throw error;
    throw new ConfigError(
      `the settings the result recorded for strategy "${name}" on dataset "${dataset}" (config.strategySettings.${name}.${dataset}: ${JSON.stringify(recorded)}) are not valid for this version of ctxbench: ${error.message}`,
      'show the result with the version of ctxbench that wrote it, or run the replay again',
    );
  }
}

/**
 * Re-assembles one turn of a replay deterministically: loads the dataset as the result did, starts
 * the strategy on the episode (with the peer the runner gives it) and replays the turns up to the
 * chosen one, so stateful strategies reach the same state.
 */
export async function showTurn(result: RunResult, options: ShowOptions): Promise<ShownTurn> {
  if (!result.config.datasets.includes(options.dataset)) throw new ConfigError(`the result did not replay dataset "${options.dataset}"`, didYouMean(options.dataset, result.config.datasets));
  if (!result.config.strategies.includes(options.strategy)) throw new ConfigError(`the result did not replay strategy "${options.strategy}"`, didYouMean(options.strategy, result.config.strategies));
  checkInputsUnchanged(result, options.dataset);
  const loader = options.registries.datasets.get(options.dataset);
  const dataset = await loader.load({ ...loader.defaults(), ...(result.config.datasetOptions?.[options.dataset] ?? {}) });
  const episode = dataset.episodes.find((e) => e.id === options.episode);
  if (!episode) throw new ConfigError(`dataset "${options.dataset}" has no episode "${options.episode}"`, didYouMean(options.episode, dataset.episodes.slice(0, 50).map((e) => e.id)));
  if (!Number.isInteger(options.turn) || options.turn < 0 || options.turn >= episode.turns.length) {
    throw new ConfigError(`episode "${episode.id}" has turns 0 to ${episode.turns.length - 1}, not ${options.turn}`, 'pick a turn in that range (--turn)');
  }
  const model = result.config.scenario.model;
  const counter = sharedCounter(model);
  const plugin = options.registries.strategies.get(options.strategy);
  const strategy = strategyAsRun(result, plugin, options.strategy, options.dataset, counter, model);
  const prices = options.prices ?? new PriceTable();
  // The same peers and warm prefix the replay billed the turn with.
  const peers: Peers = { first: dataset.episodes[0], second: dataset.episodes[1] };
  peers.warm = await warmRequests(strategy, peers, { counter, prices, scenario: result.config.scenario });
  const warm = episode.id === peers.first?.id ? peers.warm?.second : peers.warm?.first;
  const session = strategy.startEpisode(episode, peerOf(episode, peers));
  const retention = result.config.scenario.cacheRetention ?? 'default';
  const billing = { counter, price: prices.priceFor(model, retention), rule: prices.cacheRule(model, retention) };
  let previous: CacheState['previous'];
  let shown: ShownTurn | undefined;
  for (const [turnIndex, turn] of episode.turns.slice(0, options.turn + 1).entries()) {
    const history = episode.messages.slice(0, turn.at);
    const now = recordedTimeOf(episode.messages, turn);
    const context = await session.assemble({ episode, turn, turnIndex, history, query: queryOf(history, turn), now });
    const at = now === undefined ? (previous?.at ?? 0) + (result.config.scenario.callGapSeconds ?? 30) : Date.parse(now) / 1000;
    const request = { messages: context.messages, tools: context.tools };
    const bill = billCall(billing, request, 0, at, { previous, warm });
    previous = { request, at };
    if (turnIndex === options.turn) shown = { episode: episode.id, turn: turnIndex, context, inputTokens: bill.inputTokens, cachedTokens: bill.cachedTokens, probes: explainProbes(context, turn.probes, episode) };
  }
  return shown!;
}

/** A shown turn as plain text: sections, tools, every message in full, then the probes marked. */
export function formatShownTurn(shown: ShownTurn, counter = sharedCounter()): string {
  const { context } = shown;
  const lines = [`episode ${shown.episode}, turn ${shown.turn}: ${shown.inputTokens} prompt tokens, ${shown.cachedTokens} from the prompt cache`, '', 'sections (tokens):'];
  for (const [name, tokens] of Object.entries(context.sections)) lines.push(`  ${name.padEnd(24)} ${tokens}`);
  if (context.intent) lines.push('', `routed intent: ${context.intent.label} (confidence ${context.intent.confidence.toFixed(3)})`);
  lines.push('', `tools (${context.tools?.length ?? 0}, ${counter.countTools(context.tools)} tokens): ${(context.tools ?? []).map((t) => t.function.name).join(', ') || 'none'}`);
  lines.push('', 'messages:');
  context.messages.forEach((message, i) => {
    const calls = (message.tool_calls ?? []).map((call) => `\n    -> ${call.function.name}(${call.function.arguments})`).join('');
    lines.push(`--- [${i}] ${message.role}${message.name ? ` (${message.name})` : ''}, ${counter.countMessage(message)} tokens`, `${message.content ?? ''}${calls}`);
  });
  lines.push('', 'probes:');
  if (shown.probes.length === 0) lines.push('  (none at this turn)');
  for (const check of shown.probes) lines.push(`  ${check.found ? '[x]' : '[ ]'} ${check.probe}: ${check.item.length > 160 ? `${check.item.slice(0, 160)}…` : check.item}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Refuses to re-assemble from input files that changed since the run (by SHA-256, as recorded in
 * the result): the turn shown would not be the turn that was billed and scored.
 * @throws InputError naming the file and the fix
 */
function checkInputsUnchanged(result: RunResult, dataset: string): void {
  for (const input of result.datasets.find((d) => d.name === dataset)?.inputs ?? []) {
    if (!existsSync(input.path)) throw new InputError(`${input.path} (dataset "${dataset}" option ${input.option}) is gone since the run`, 'run show from the directory the run was started in, with the input files the run read');
    const sha256 = createHash('sha256').update(readFileSync(input.path)).digest('hex');
    if (sha256 !== input.sha256) {
      throw new InputError(`${input.path} (dataset "${dataset}" option ${input.option}) changed since the run: its SHA-256 is ${sha256.slice(0, 12)}..., the result recorded ${input.sha256.slice(0, 12)}...`, 'restore the file the run read, or replay again and show the new result');
    }
  }
}
