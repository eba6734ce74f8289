// Token accounting and budget manager benchmarks (issue: foundation). Run: npm run bench
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { ContextBudget, smartTruncate, TECHCORP_PROFILE, TokenCounter } from '../../core/index.js';
import { formatMs, machine, printMedians } from './print.js';

const locomo = JSON.parse(readFileSync(new URL('../../datasets/data/locomo/26.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const chatText = Object.entries(locomo)
  .filter(([key]) => /^session_\d+$/.test(key))
  .flatMap(([, turns]) => turns as unknown[])
  .map((turn) => `${(turn as { speaker: string }).speaker}: ${(turn as { text: string }).text}`)
  .join('\n');

const fast = new TokenCounter({ model: 'gpt-4o', cacheEntries: 0 });
const reference = new TokenCounter({ model: 'gpt-4o', backend: 'js-tiktoken', cacheEntries: 0 });
const cached = new TokenCounter({ model: 'gpt-4o' });

/** The longest prefix of the chat text with about `tokens` tokens. */
function textOf(tokens: number): string {
  let text = chatText;
  while (fast.count(text) < tokens) text += `\n${chatText}`;
  return fast.decode(fast.encode(text).slice(0, tokens));
}
const text8k = textOf(8000);
const doc50k = textOf(50_000);
cached.count(text8k);

console.log(`machine: ${machine()}`);

const tokens = new Bench({ name: 'token counting (8,000-token chat text, o200k_base)', time: 2000 });
tokens
  .add('gpt-tokenizer, cold (no cache)', () => void fast.count(text8k))
  .add('js-tiktoken, cold (no cache)', () => void reference.count(text8k))
  .add('gpt-tokenizer, cached', () => void cached.count(text8k));
await tokens.run();
printMedians(tokens);

const budget = new Bench({ name: 'budget manager (default TechCorp profile)', time: 3000 });
const sectionText = Object.fromEntries(TECHCORP_PROFILE.sections.map((s, i) => [s.name, textOf(Math.round(s.budget * (i % 2 === 0 ? 1.6 : 0.8)))]));
budget
  .add('smart-truncate a 50,000-token document to 3,000 tokens (counts cached)', () => void smartTruncate(doc50k, 3000, cached, 'start'))
  .add('add 7 sections + overflow + build (counts cached)', () => {
    const context = new ContextBudget({ counter: cached });
    for (const [name, text] of Object.entries(sectionText)) context.addSection(name, text);
    context.build();
  });
await budget.run();
printMedians(budget);

// Load time and long unspaced input are one-shot costs: measured in fresh processes.
function oneShot(backend: string, measured: string, warm = ''): number {
  const script = `import { getTokenizer } from './core/tokens/tokenizer.ts';
const started = performance.now(); const t = getTokenizer('o200k_base', '${backend}'); t.count('warm'); ${warm};
const load = performance.now() - started; const s = performance.now(); ${measured};
console.log(${measured ? 'performance.now() - s' : 'load'});`;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url) });
  return Number(output.toString().trim());
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const load = (backend: string, warm = '') => median(Array.from({ length: 5 }, () => oneShot(backend, '', warm)));
console.log('\n### one-shot costs (fresh process; load is the median of 5)\n');
console.log('| task | gpt-tokenizer (the default; long runs: heap merge) | js-tiktoken |');
console.log('| --- | ---: | ---: |');
console.log(`| load o200k_base and count one word | ${formatMs(load('gpt-tokenizer'))} | ${formatMs(load('js-tiktoken'))} |`);
// The heap merge reads its rank table on the first text with a long run: a one-off cost, shown apart.
const heapLoad = load('gpt-tokenizer', "t.count('x'.repeat(1000))") - load('gpt-tokenizer');
console.log(`| first text with a 1,000+ character run: read the heap merge's rank table | ${formatMs(heapLoad)} | - |`);
for (const length of [4000, 8000, 20_000, 100_000, 1_000_000]) {
  const unspaced = (backend: string, warm = '') => formatMs(oneShot(backend, `t.count('x'.repeat(${length}))`, warm));
  const reference = length > 8000 ? 'not run (quadratic: ~4x per doubling)' : unspaced('js-tiktoken');
  console.log(`| count ${length.toLocaleString('en')} characters without spaces | ${unspaced('gpt-tokenizer', "t.count('x'.repeat(1000))")} | ${reference} |`);
}
