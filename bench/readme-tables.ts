/**
 * The README's default-replay tables from a result.json: per dataset, every strategy and
 * reference with tokens a call, cached share, $/conversation, cost relative to naive and the
 * dataset's fidelity metrics (mean and 95% CI).
 * Usage: npx tsx bench/readme-tables.ts ctxbench-results/result.json
 */
import { FIDELITY_METRICS, type ProbeMetric } from '../core/index.js';
import { asFaithful, dominating } from './frontier.js';
import { readResult } from './result-file.js';

const path = process.argv[2] ?? 'ctxbench-results/result.json';
const result = readResult(path);
const shown: ProbeMetric[] = [...FIDELITY_METRICS, 'routingAccuracy', 'recordFactRetention'];
const estimate = (e: { mean: number; ci95: [number, number] } | undefined) => (e ? `${e.mean.toFixed(3)} [${e.ci95[0].toFixed(2)}, ${e.ci95[1].toFixed(2)}]` : '–');

for (const dataset of result.datasets) {
  const rows = result.aggregates.filter((a) => a.dataset === dataset.name);
  const naive = rows.find((a) => a.strategy === 'naive');
  const metrics = shown.filter((metric) => rows.some((a) => a.metrics[metric]));
  console.log(`\n#### ${dataset.name} (${dataset.episodes.toLocaleString('en')} episodes, ${dataset.turns.toLocaleString('en')} turns)\n`);
  console.log(`| strategy | tokens/call | cached | $/conversation | cost vs naive | ${metrics.join(' | ')} |`);
  console.log(`| --- | ---: | ---: | ---: | ---: |${metrics.map(() => ' ---: |').join('')}`);
  for (const a of rows) {
    const ratio = naive && naive.costPerConversation > 0 ? (a.costPerConversation / naive.costPerConversation).toFixed(3) : '–';
    const name = a.reference ? `${a.strategy} (reference)` : a.strategy;
    const cells = [name, Math.round(a.inputTokens.mean).toLocaleString('en'), `${(a.cachedShare * 100).toFixed(1)}%`, `$${a.costPerConversation.toFixed(4)}`, ratio, ...metrics.map((m) => estimate(a.metrics[m]))];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

console.log('\n#### Is production on the cost-fidelity frontier?\n');
console.log('| dataset | production vs naive | cheaper and at least as faithful (by the intervals) | cheapest other strategy at least as faithful: its cost vs naive (production vs it) |\n| --- | ---: | --- | --- |');
for (const dataset of result.datasets) {
  const rows = result.aggregates.filter((a) => a.dataset === dataset.name);
  const production = rows.find((a) => a.strategy === 'production');
  const naive = rows.find((a) => a.strategy === 'naive');
  if (!production || !naive) continue;
  const scored = FIDELITY_METRICS.some((metric) => production.metrics[metric]);
  const better = dominating(production, rows).map((a) => a.strategy);
  const verdict = !scored ? 'no fidelity metric' : better.length === 0 ? 'none: on the frontier' : better.join(', ');
  const rival = scored ? asFaithful(production, rows)[0] : undefined;
  const against = !scored ? '–' : rival ? `${rival.strategy}: ${(rival.costPerConversation / naive.costPerConversation).toFixed(3)} (${(production.costPerConversation / rival.costPerConversation).toFixed(3)})` : 'none';
  console.log(`| ${dataset.name} | ${(production.costPerConversation / naive.costPerConversation).toFixed(3)} | ${verdict} | ${against} |`);
}

console.log("\n#### Where production's prompt cache breaks\n");
console.log('Per section: tokens a call, and the share of them served from the prompt cache (the cached prefix laid over the sections in request order).\n');
console.log('| dataset | sections (tokens a call, cached share) |\n| --- | --- |');
for (const dataset of result.datasets) {
  const production = result.aggregates.find((a) => a.dataset === dataset.name && a.strategy === 'production');
  if (!production?.sectionCachedShare) continue;
  const cells = Object.entries(production.sectionCachedShare).map(([name, share]) => `${name} ${Math.round(production.sections[name] ?? 0).toLocaleString('en')} (${(share * 100).toFixed(0)}%)`);
  console.log(`| ${dataset.name} | ${cells.join('; ')} |`);
}
