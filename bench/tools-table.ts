// Prints the README's per-strategy table for a dataset with tools from a result file:
//   npx tsx bench/tools-table.ts ctxbench-results/result.json [dataset=sgd]
// tokens a call with the share spent on tool definitions (the `tools` section), cost, tool
// presence, fact retention and routing accuracy, then production's cost ratio to naive.
import { readResult } from './result-file.js';

const [file, dataset = 'sgd'] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/tools-table.ts <result.json> [dataset]');
  process.exit(2);
}
const result = readResult(file);
const rows = result.aggregates.filter((a) => a.dataset === dataset);
const metric = (estimate: { mean: number } | undefined) => (estimate ? estimate.mean.toFixed(3) : '–');
const tokens = (n: number) => Math.round(n).toLocaleString('en-US');
console.log('| strategy | tokens/call | tool definitions | cached | $/conversation | tool presence | fact retention | routing accuracy |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const a of rows) {
  const tools = a.sections.tools ?? 0;
  console.log(
    `| ${a.strategy} | ${tokens(a.inputTokens.mean)} | ${tokens(tools)} (${((100 * tools) / a.inputTokens.mean).toFixed(0)}%) | ${(100 * a.cachedShare).toFixed(1)}% | $${a.costPerConversation.toFixed(4)} | ${metric(a.metrics.toolPresence)} | ${metric(a.metrics.factRetention)} | ${metric(a.metrics.routingAccuracy)} |`,
  );
}
const naive = rows.find((a) => a.strategy === 'naive');
const production = rows.find((a) => a.strategy === 'production');
if (naive && production) {
  const presence = (a: typeof naive) => a.metrics.toolPresence?.mean ?? NaN;
  const gap = 100 * (presence(naive) - presence(production));
  console.log(`\nproduction / naive cost: ${(production.costPerConversation / naive.costPerConversation).toFixed(3)}; tool presence ${presence(production).toFixed(3)} vs ${presence(naive).toFixed(3)} (${gap.toFixed(1)} points below naive)`);
}
console.log(`${result.timing.durationMs / 1000} s for ${rows.reduce((n, a) => n + a.turns, 0)} strategy-turns (${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, ${result.timing.startedAt})`);
