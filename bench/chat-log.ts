/**
 * "Any chat log a user brings": writes the bundled tau-bench test trajectories as a plain OpenAI
 * chat JSONL (the recorded system prompt, the user and assistant turns; tool calls and their
 * results dropped, as in a log of a chat without tools), replays it with the `openai-jsonl`
 * loader through naive, the baselines and production, and prints the table.
 *   npx tsx bench/chat-log.ts [--out <file.jsonl>]
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FIDELITY_METRICS } from '../core/index.js';
import { datasets } from '../datasets/index.js';
import { tauBenchAirline } from '../datasets/tau-bench.js';
import { strategies } from '../strategies/index.js';
import { machine } from './micro/print.js';
import { runBenchmark } from './runner/run.js';

/** The tau-bench trajectories of a split (test: reported; dev: settings are chosen on it) as chat logs without tools, one JSONL line each. */
async function chatLogLines(split: 'test' | 'dev' = 'test'): Promise<string[]> {
  const { episodes } = await tauBenchAirline.load({ ...tauBenchAirline.defaults(), split });
  return episodes.map((episode) => {
    const turns = episode.messages.filter((m) => (m.role === 'user' || m.role === 'assistant') && !m.tool_calls?.length && (m.content ?? '').trim() !== '').map((m) => ({ role: m.role, content: m.content }));
    return JSON.stringify({ messages: [{ role: 'system', content: episode.systemPrompt }, ...turns], metadata: { id: episode.id, user_id: episode.userId } });
  });
}

/** Writes a split's chat log to `file` and returns its lines. */
export async function writeChatLog(file: string, split: 'test' | 'dev' = 'test'): Promise<string[]> {
  const lines = await chatLogLines(split);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(tmpdir(), 'ctxbench-chat-log.jsonl') } } });
  const lines = await writeChatLog(values.out);
  const selected = ['naive', 'sliding-window', 'token-buffer', 'summary-buffer', 'rag', 'production'].map((name) => ({ name }));
  const result = await runBenchmark({ datasets: [{ name: 'openai-jsonl', options: { file: values.out } }], strategies: selected, registries: { datasets, strategies }, concurrency: 2, perTurn: false });
  const naive = result.aggregates.find((a) => a.strategy === 'naive')!;
  const metrics = FIDELITY_METRICS.filter((metric) => naive.metrics[metric]);
  console.log(`## A chat log without tools: ${lines.length} conversations (${values.out})\n\n${machine()}, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(`| strategy | tokens/call | cached | $/conversation | cost vs naive | ${metrics.join(' | ')} |\n| --- | ---: | ---: | ---: | ---: |${metrics.map(() => ' ---: |').join('')}`);
  for (const a of result.aggregates) {
    const cells = metrics.map((metric) => {
      const estimate = a.metrics[metric];
      return estimate ? `${estimate.mean.toFixed(3)} [${estimate.ci95[0].toFixed(2)}, ${estimate.ci95[1].toFixed(2)}]` : '–';
    });
    console.log(`| ${a.strategy} | ${Math.round(a.inputTokens.mean).toLocaleString('en')} | ${(a.cachedShare * 100).toFixed(1)}% | $${a.costPerConversation.toFixed(4)} | ${(a.costPerConversation / naive.costPerConversation).toFixed(3)} | ${cells.join(' | ')} |`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
