import type { RunResult } from '../core/index.js';
import { inputLine, interruptedBanner, mdText, replayedSummary } from './run-facts.js';
import { evaluationMarkdown } from './evaluation.js';

const usd = (value: number, decimals = 2) => `$${value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })}`;
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const estimate = (e: { mean: number; ci95: [number, number] } | undefined) => (e ? `${e.mean.toFixed(3)} [${e.ci95[0].toFixed(3)}, ${e.ci95[1].toFixed(3)}]` : '–');

/** A Markdown summary sized for a pull-request comment: the mission verdict first, then a table per dataset. */
export function markdownSummary(result: RunResult): string {
  const lines = [`# ctxbench: ${mdText(result.config.scenario.name)} scenario, ${mdText(result.config.model)}`, ''];
  if (result.interrupted) lines.push(`**${interruptedBanner(result)}**`, '');
  const rules = result.mission[0];
  const target = rules ? `production at most ${rules.costTarget * 100}% of naive's cost, every fidelity metric non-inferior (paired 95% interval of the difference above -${rules.tolerance * 100} pts)` : 'production against naive';
  lines.push(`${result.config.scenario.conversationsPerMonth.toLocaleString('en-US')} conversations a month; cost target: ${target}.`, '');
  lines.push(cacheAssumptions(result), '');
  lines.push('| dataset | naive $/month | production $/month | ratio | floor | oracle | fidelity (production - naive, 95% CI) | verdict |', '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  for (const m of result.mission) {
    const fidelity = m.fidelity.map((f) => `${f.metric} ${signedPoints(f.delta)} [${signedPoints(f.ci95[0])}, ${signedPoints(f.ci95[1])}]`).join(', ') || '–';
    const oracle = m.oracleRatio === null ? '–' : m.oracleRatio.toFixed(3);
    lines.push(`| ${mdText(m.dataset)} | ${usd(m.naiveMonthlyUsd)} | ${usd(m.productionMonthlyUsd)} | ${m.costRatio.toFixed(3)} | ${m.floor.toFixed(3)} | ${oracle} | ${fidelity} | ${m.verdict.toUpperCase()}: ${mdText(m.reason)} |`);
  }
  for (const dataset of result.datasets) {
    const rows = result.aggregates.filter((a) => a.dataset === dataset.name);
    const metricNames = [...new Set(rows.flatMap((a) => Object.keys(a.metrics)))] as Array<keyof (typeof rows)[number]['metrics']>;
    lines.push('', `## ${mdText(dataset.name)} (${replayedSummary(result, dataset)}${datasetCounts(dataset)})`, '');
    if (dataset.inputs?.length) lines.push(...dataset.inputs.map((input) => `- input: ${mdText(inputLine(input))}`), '');
    const header = ['strategy', 'tokens/call mean (p50 / p95)', 'cached', '$/conversation', 'latency p50 / p95', 'over budget', ...metricNames];
    lines.push(`| ${header.join(' | ')} |`, `| --- |${header.slice(1).map(() => ' ---: |').join('')}`);
    for (const a of rows) {
      const cells = [
        mdText(a.strategy),
        `${Math.round(a.inputTokens.mean)} (${Math.round(a.inputTokens.p50)} / ${Math.round(a.inputTokens.p95)})`,
        pct(a.cachedShare),
        usd(a.costPerConversation, 4),
        `${a.latencyMs.p50.toFixed(2)} / ${a.latencyMs.p95.toFixed(2)} ms`,
        String(a.budgetViolations),
        ...metricNames.map((name) => estimate(a.metrics[name])),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  if (result.llm) {
    const parts = result.llm.parts.map((p) => `${mdText(p.strategy)} ${p.part}: ${p.mode === 'llm' ? `LLM, ${p.calls} calls, ${p.fallbacks} fell back${p.lastFallbackReason ? ` (last: ${mdText(p.lastFallbackReason)})` : ''}` : `offline (${mdText(p.reason ?? '')})`}`);
    lines.push('', `LLM endpoint: ${result.llm.endpoint ? `${mdText(result.llm.endpoint)} (${mdText(result.llm.model ?? '')})` : 'none'}.${parts.length ? ` ${parts.join('; ')}.` : ''}`);
  }
  if (result.evaluation) lines.push(evaluationMarkdown(result.evaluation).trimEnd());
  lines.push('', `Replayed ${result.aggregates.reduce((sum, a) => sum + a.turns, 0)} strategy-turns (every strategy's turns of every dataset) in ${(result.timing.durationMs / 1000).toFixed(1)} s (${result.timing.turnsPerSecond} turns/s) on ${result.machine.cpu}, ${result.machine.cores} cores.`);
  return `${lines.join('\n')}\n`;
}

const signedPoints = (delta: number) => `${delta >= 0 ? '+' : ''}${(delta * 100).toFixed(1)} pts`;

/** The cost model's assumptions, stated once above the verdicts. */
function cacheAssumptions(result: RunResult): string {
  const scenario = result.config.scenario;
  const retention = scenario.cacheRetention ?? 'default';
  return `Prompt cache: ${retention} retention; a call reuses the previous call's prefix only within the cache lifetime (recorded timestamps where the data has them, otherwise ${scenario.callGapSeconds ?? 30} s between calls), and the prefix identical across conversations is warm when the traffic sends one such call per lifetime. Floor: the share of naive's cost paid for output tokens, below which no context strategy can go; oracle: a reference context that holds exactly what the probes need.`;
}

/** Records skipped, repaired and left unscored, as a suffix of a dataset heading. */
function datasetCounts(dataset: RunResult['datasets'][number]): string {
  const notes = dataset.notes ?? [];
  const count = (n: number, what: string) => (n > 0 ? `, ${n} ${what}` : '');
  return `${count(dataset.skipped.length, 'records skipped')}${count(notes.filter((n) => n.kind === 'repaired').length, 'labels repaired')}${count(notes.filter((n) => n.kind === 'unscored').length, 'probes unscored for want of labels')}`;
}
