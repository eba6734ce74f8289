import type { RunResult } from '../core/index.js';
import { evaluationMarkdown } from './evaluation.js';

const usd = (value: number) => `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const estimate = (e: { mean: number; ci95: [number, number] } | undefined) => (e ? `${e.mean.toFixed(3)} [${e.ci95[0].toFixed(3)}, ${e.ci95[1].toFixed(3)}]` : '–');

/** A Markdown summary sized for a pull-request comment: the mission verdict first, then a table per dataset. */
export function markdownSummary(result: RunResult): string {
  const lines = [`# ctxbench: ${result.config.scenario.name} scenario, ${result.config.model}`, ''];
  lines.push(`${result.config.scenario.conversationsPerMonth.toLocaleString('en-US')} conversations a month; cost target: production at most 10% of naive with fidelity within 5 points.`, '');
  lines.push('| dataset | naive $/month | production $/month | ratio | fidelity | verdict |', '| --- | ---: | ---: | ---: | --- | --- |');
  for (const m of result.mission) {
    const fidelity = m.fidelity.map((f) => `${f.metric} ${f.delta >= 0 ? '+' : ''}${(f.delta * 100).toFixed(1)} pts`).join(', ') || '–';
    lines.push(`| ${m.dataset} | ${usd(m.naiveMonthlyUsd)} | ${usd(m.productionMonthlyUsd)} | ${m.costRatio.toFixed(3)} | ${fidelity} | ${m.pass ? 'PASS' : 'FAIL'} |`);
  }
  for (const dataset of result.datasets) {
    const rows = result.aggregates.filter((a) => a.dataset === dataset.name);
    const metricNames = [...new Set(rows.flatMap((a) => Object.keys(a.metrics)))] as Array<keyof (typeof rows)[number]['metrics']>;
    lines.push('', `## ${dataset.name} (${dataset.episodes} episodes, ${dataset.turns} turns${dataset.skipped.length ? `, ${dataset.skipped.length} records skipped` : ''})`, '');
    const header = ['strategy', 'tokens/call (p50 / p95)', 'cached', '$/conversation', 'latency p50 / p95', 'over budget', ...metricNames];
    lines.push(`| ${header.join(' | ')} |`, `| --- |${header.slice(1).map(() => ' ---: |').join('')}`);
    for (const a of rows) {
      const cells = [
        a.strategy,
        `${Math.round(a.inputTokens.mean)} (${Math.round(a.inputTokens.p50)} / ${Math.round(a.inputTokens.p95)})`,
        pct(a.cachedShare),
        usd(a.costPerConversation),
        `${a.latencyMs.p50.toFixed(2)} / ${a.latencyMs.p95.toFixed(2)} ms`,
        String(a.budgetViolations),
        ...metricNames.map((name) => estimate(a.metrics[name])),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  if (result.evaluation) lines.push(evaluationMarkdown(result.evaluation).trimEnd());
  lines.push('', `Replayed ${result.aggregates.reduce((sum, a) => sum + a.turns, 0)} turns in ${(result.timing.durationMs / 1000).toFixed(1)} s (${result.timing.turnsPerSecond} turns/s) on ${result.machine.cpu}, ${result.machine.cores} cores.`);
  return `${lines.join('\n')}\n`;
}
