import { stringify } from 'csv-stringify/sync';
import type { AnswerEvaluation, EvaluationUsage } from '../core/index.js';
import { mdText } from './run-facts.js';

const thousands = (n: number) => n.toLocaleString('en-US');
const usd = (value: number | null) => (value === null ? 'unpriced' : `$${value.toFixed(4)}`);
const sum = (a: number | null, b: number | null | undefined) => (a === null || b === null ? null : a + (b ?? 0));

/** One line of the evaluation's cost table, read from the result (nothing recomputed but the row's answer + judge sum). */
interface CostRow {
  dataset: string;
  strategy: string;
  turns: number;
  failed: number;
  answer: EvaluationUsage;
  judge: EvaluationUsage | null;
  totalUsd: number | null;
}

function costRows(evaluation: AnswerEvaluation): CostRow[] {
  return evaluation.usage.map((u) => ({ ...u, totalUsd: sum(u.answer.costUsd, u.judge?.costUsd) }));
}

/** What the evaluation is, in one sentence. */
function headline(e: AnswerEvaluation): string {
  const judge = e.judgeModel ? `judge ${e.judgeModel} (prompt v${e.judgePromptVersion})` : 'no judge (token F1 only)';
  const failed = e.failures.length ? `; ${thousands(e.failures.length)} calls failed (those turns are unscored)` : '';
  const stopped = e.stoppedBySpendLimit ? '; stopped by --max-spend before every turn was scored' : '';
  return `answer model ${e.answerModel}, ${judge}, at ${e.endpoint ?? 'no endpoint'}${failed}${stopped}`;
}

/** This run's calls: sent, from the cache, dollars actually spent. */
function runLine(e: AnswerEvaluation): string {
  return `This run sent ${thousands(e.run.sent)} calls and took ${thousands(e.run.fromCache)} from the response cache, spending ${usd(e.run.spentUsd)}.`;
}

/** The evaluation's section of summary.md: its cost per dataset x strategy, apart from the strategies' cost. */
export function evaluationMarkdown(e: AnswerEvaluation): string {
  const lines = ['', '## Answer evaluation', '', `${mdText(headline(e))}. Its cost is not part of the strategies' cost above; answer quality is in the tables above (answerJudge, answerF1, nextAction*).`, ''];
  lines.push('| dataset | strategy | turns scored | failed | answer tokens in / out | judge tokens in / out | evaluation $ |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of costRows(e)) {
    const judge = r.judge ? `${thousands(r.judge.inputTokens)} / ${thousands(r.judge.outputTokens)}` : '–';
    lines.push(`| ${mdText(r.dataset)} | ${mdText(r.strategy)} | ${thousands(r.turns)} | ${thousands(r.failed)} | ${thousands(r.answer.inputTokens)} / ${thousands(r.answer.outputTokens)} | ${judge} | ${usd(r.totalUsd)} |`);
  }
  lines.push('', `${runLine(e)} Costs are at list price whether or not a reply came from the cache.`);
  return `${lines.join('\n')}\n`;
}

/** evaluation.csv: one row per dataset x strategy with the answer and judge calls' tokens and dollars. */
export function evaluationCsv(e: AnswerEvaluation): string {
  const usage = (prefix: string, u: EvaluationUsage | null) => ({
    [`${prefix}.model`]: u?.model,
    [`${prefix}.calls`]: u?.calls,
    [`${prefix}.inputTokens`]: u?.inputTokens,
    [`${prefix}.cachedInputTokens`]: u?.cachedInputTokens,
    [`${prefix}.outputTokens`]: u?.outputTokens,
    [`${prefix}.costUsd`]: u?.costUsd,
  });
  const records = costRows(e).map((r) => ({ dataset: r.dataset, strategy: r.strategy, turns: r.turns, failed: r.failed, ...usage('answer', r.answer), ...usage('judge', r.judge), costUsd: r.totalUsd }));
  const columns = ['dataset', 'strategy', 'turns', 'failed', ...Object.keys(usage('answer', null)), ...Object.keys(usage('judge', null)), 'costUsd'];
  return stringify(records, { header: true, columns, escape_formulas: true });
}

/** The evaluation's section of report.html. */
export function evaluationHtml(e: AnswerEvaluation, escape: (text: string) => string): string {
  const head = ['dataset', 'strategy', 'turns scored', 'failed', 'answer tokens in / out', 'judge tokens in / out', 'evaluation $'];
  const rows = costRows(e).map((r) => {
    const judge = r.judge ? `${thousands(r.judge.inputTokens)} / ${thousands(r.judge.outputTokens)}` : '–';
    const cells = [thousands(r.turns), thousands(r.failed), `${thousands(r.answer.inputTokens)} / ${thousands(r.answer.outputTokens)}`, judge, usd(r.totalUsd)];
    return `<tr><th scope="row">${escape(r.dataset)}</th><td>${escape(r.strategy)}</td>${cells.map((c) => `<td class="num">${escape(c)}</td>`).join('')}</tr>`;
  });
  return `<section id="answer-evaluation"><h2>Answer evaluation</h2><p class="note">${escape(headline(e))}. Answer quality (answerJudge, answerF1, nextAction*) is in the tables and the cost-against-fidelity chart; the evaluation's own cost below is not part of any strategy's cost.</p>
<div class="scroll"><table class="details"><thead><tr>${head.map((h, i) => `<th scope="col"${i > 1 ? ' class="num"' : ''}>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>
<p class="note">${escape(runLine(e))}</p></section>`;
}
