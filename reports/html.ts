import type { Aggregate, MissionCheck, RunResult } from '../core/index.js';
import { inputLine, interruptedBanner, replayedSummary } from './run-facts.js';
import { evaluationHtml } from './evaluation.js';
import { costFidelityChart, escapeHtml as esc, formatMs, latencyChart, latencyHistogram, mainFidelityMetric, sectionColors, sectionTokensChart, strategyColors } from './html-charts.js';

const number = (value: number, decimals = 0) => value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
const usd = (value: number, decimals = 2) => `$${number(value, decimals)}`;
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const points = (delta: number) => `${delta >= 0 ? '+' : '−'}${Math.abs(delta * 100).toFixed(1)} pts`;

/** The aggregates of one dataset, in the run's strategy order. */
interface DatasetView {
  name: string;
  /** What was replayed, in words (episodes, turns, skipped records; partial counts when interrupted). */
  facts: string;
  inputs: string[];
  aggregates: Aggregate[];
  mission: MissionCheck | undefined;
}

function datasetViews(result: RunResult): DatasetView[] {
  return result.datasets.map((d) => ({
    name: d.name,
    facts: `${replayedSummary(result, d)}${d.skipped.length ? `, ${number(d.skipped.length)} records skipped` : ''}`,
    inputs: (d.inputs ?? []).map(inputLine),
    aggregates: result.aggregates.filter((a) => a.dataset === d.name),
    mission: result.mission.find((m) => m.dataset === d.name),
  }));
}

/** Role tag of the mission's two strategies, used to highlight their rows. */
const roleOf = (strategy: string) => (strategy === 'naive' ? 'naive' : strategy === 'production' ? 'production' : '');

function strategyCell(strategy: string, colors: Map<string, string>): string {
  const role = roleOf(strategy);
  const tag = role ? `<span class="tag ${role}">${role === 'naive' ? 'baseline' : 'candidate'}</span>` : '';
  return `<th scope="row"><span class="swatch" style="background:${colors.get(strategy) ?? '#888'}"></span>${esc(strategy)}${tag}</th>`;
}

function missionCard(m: MissionCheck): string {
  const verdict = m.verdict === 'pass' ? 'pass' : m.verdict === 'fail' || m.verdict === 'cannot be sent' ? 'fail' : 'none';
  // From the monthly costs, not the rounded ratio (0.10004 prints as 0.100); none when naive costs nothing.
  const costOk = m.naiveMonthlyUsd > 0 ? m.productionMonthlyUsd <= m.costTarget * m.naiveMonthlyUsd : undefined;
  const costMark = costOk === undefined ? '–' : costOk ? '✓' : '✗';
  const fidelity = m.fidelity
    .map(
      (f) =>
        `<tr class="${f.ok ? 'ok' : 'bad'}"><th scope="row">${esc(f.metric)}</th><td class="num">${f.naive.toFixed(3)} → ${f.production.toFixed(3)}</td><td class="num"><b>${points(f.delta)}</b> [${points(f.ci95[0])}, ${points(f.ci95[1])}] ${f.ok ? '✓' : '✗'}</td></tr>`,
    )
    .join('');
  const reachable = `floor ${m.floor.toFixed(3)}${m.oracleRatio === null ? '' : `, oracle ${m.oracleRatio.toFixed(3)}`}`;
  return `<article class="mission ${verdict}">
<header><h3>${esc(m.dataset)}</h3><span class="badge ${verdict}">${esc(m.verdict.toUpperCase())}</span></header>
<dl class="money"><div><dt>naive</dt><dd>${usd(m.naiveMonthlyUsd)}<small>/month</small></dd></div><div><dt>production</dt><dd><strong>${usd(m.productionMonthlyUsd)}</strong><small>/month</small></dd></div></dl>
<p class="${costOk === undefined ? 'muted' : costOk ? 'ok' : 'bad'}">cost ratio <b>${m.costRatio.toFixed(3)}</b> (target ≤ ${m.costTarget.toFixed(2)}; ${reachable}) ${costMark}</p>
${fidelity ? `<table class="fidelity"><tbody>${fidelity}</tbody></table>` : ''}
<p class="muted">${esc(m.reason)} (${m.episodes} episodes)</p>
</article>`;
}

/** $/month of every strategy on every dataset, with a bar relative to the most expensive one of the dataset. */
function monthlyCostTable(result: RunResult, views: DatasetView[], colors: Map<string, string>): string {
  const perMonth = result.config.scenario.conversationsPerMonth;
  const strategies = [...new Set(views.flatMap((v) => v.aggregates.map((a) => a.strategy)))];
  const peaks = views.map((v) => Math.max(0, ...v.aggregates.map((a) => a.costPerConversation)));
  const naive = views.map((v) => v.aggregates.find((a) => a.strategy === 'naive')?.costPerConversation);
  const rows = strategies.map((strategy) => {
    const cells = views.map((v, i) => {
      const a = v.aggregates.find((x) => x.strategy === strategy);
      if (!a) return '<td>–</td>';
      const share = peaks[i]! > 0 ? (a.costPerConversation / peaks[i]!) * 100 : 0;
      const relative = naive[i] ? `<span class="relative">${number((a.costPerConversation / naive[i]!) * 100)}% of naive</span>` : '';
      const bar = `<span class="track"><span class="fill" style="width:${share.toFixed(1)}%;background:${colors.get(strategy) ?? '#888'}"></span></span>`;
      return `<td><div class="spend"><span class="amount">${usd(a.costPerConversation * perMonth)}</span>${relative}</div>${bar}</td>`;
    });
    return `<tr class="${roleOf(strategy)}">${strategyCell(strategy, colors)}${cells.join('')}</tr>`;
  });
  const head = views.map((v) => `<th scope="col">${esc(v.name)}</th>`).join('');
  return `<table class="monthly"><thead><tr><th scope="col">$/month</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function verdictSection(result: RunResult, views: DatasetView[], colors: Map<string, string>): string {
  const scenario = result.config.scenario;
  const interrupted = result.interrupted ? '<p class="warning">This run was interrupted before every episode was replayed: the numbers below cover only what finished.</p>' : '';
  const cards = views.flatMap((v) => (v.mission ? [missionCard(v.mission)] : [])).join('');
  const target = result.mission[0]?.costTarget;
  return `<header class="top">
<p class="eyebrow">ctxbench ${esc(result.ctxbenchVersion)} · context engineering report</p>
<h1>${esc(scenario.name)} scenario: ${number(scenario.conversationsPerMonth)} conversations a month on ${esc(scenario.model)}</h1>
${target === undefined ? '' : `<p class="lede">Mission: the production strategy costs at most ${Math.round(target * 100)}% of the naive baseline and keeps its fidelity.</p>`}
</header>${interrupted}
<section id="verdict"><h2>Verdict</h2>
${cards ? `<div class="missions">${cards}</div>` : '<p class="muted">No mission check: the run needs both the naive and the production strategy.</p>'}
<h3 class="sub">Projected spend per strategy</h3>
${monthlyCostTable(result, views, colors)}
</section>`;
}

function figure(caption: string, svg: string): string {
  return `<figure><figcaption>${esc(caption)}</figcaption>${svg}</figure>`;
}

function scatterFigure(v: DatasetView, colors: Map<string, string>): string {
  const metric = mainFidelityMetric(v.aggregates);
  if (!metric) return `<p class="muted">${esc(v.name)}: no fidelity metric that every strategy reports, nothing to plot.</p>`;
  return figure(`${v.name}: ${metric} against cost`, costFidelityChart(v.name, v.aggregates, colors, v.mission?.costTarget));
}

function chartSections(result: RunResult, allViews: DatasetView[], colors: Map<string, string>): string {
  const views = allViews.filter((v) => v.aggregates.length > 0);
  const scatter = views.map((v) => scatterFigure(v, colors));
  const palette = sectionColors(result.aggregates);
  const tokens = views.map((v) => figure(v.name, sectionTokensChart(v.name, v.aggregates, colors, palette)));
  const latency = views.map((v) => {
    const strategies = v.aggregates.map((a) => a.strategy);
    const turns = result.turns?.filter((t) => t.dataset === v.name) ?? [];
    const histogram = turns.length ? latencyHistogram(v.name, strategies, turns, colors) : '';
    return `<div class="pair">${figure(`${v.name}: p50 and p95`, latencyChart(v.name, v.aggregates, colors))}${histogram ? figure(`${v.name}: per-turn distribution`, histogram) : ''}</div>`;
  });
  return `<section id="cost-fidelity"><h2>Cost against fidelity</h2><p class="note">Up and to the left is better. Error bars are 95% bootstrap confidence intervals over episodes.</p>${scatter.join('')}</section>
<section id="tokens"><h2>Where the tokens go</h2><p class="note">Mean tokens per context section per call.</p>${tokens.join('')}</section>
<section id="latency"><h2>Context assembly latency</h2><p class="note">Time to build each context on this machine (not model latency); log scale.</p>${latency.join('')}</section>`;
}

function datasetTable(v: DatasetView, colors: Map<string, string>): string {
  const metrics = [...new Set(v.aggregates.flatMap((a) => Object.keys(a.metrics)))] as Array<keyof Aggregate['metrics']>;
  const head = ['strategy', 'tokens mean', 'p50', 'p95', 'cached', '$/conversation', 'latency p50 / p95 (ms)', 'over budget', ...metrics];
  const rows = v.aggregates.map((a) => {
    const metricCells = metrics.map((name) => {
      const e = a.metrics[name];
      return e ? `<td class="num">${e.mean.toFixed(3)}<span class="ci">[${e.ci95[0].toFixed(3)}, ${e.ci95[1].toFixed(3)}]</span></td>` : '<td class="num">–</td>';
    });
    const cells = [number(a.inputTokens.mean), number(a.inputTokens.p50), number(a.inputTokens.p95), pct(a.cachedShare), usd(a.costPerConversation, 4), `${formatMs(a.latencyMs.p50)} / ${formatMs(a.latencyMs.p95)}`, number(a.budgetViolations)];
    return `<tr class="${roleOf(a.strategy)}">${strategyCell(a.strategy, colors)}${cells.map((c) => `<td class="num">${c}</td>`).join('')}${metricCells.join('')}</tr>`;
  });
  const inputs = v.inputs.length ? `<ul class="muted">${v.inputs.map((line) => `<li>input: ${esc(line)}</li>`).join('')}</ul>` : '';
  return `<h3 class="sub">${esc(v.name)} <span class="muted">(${esc(v.facts)})</span></h3>${inputs}
<div class="scroll"><table class="details"><thead><tr>${head.map((h, i) => `<th scope="col"${i ? ' class="num"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function footer(result: RunResult): string {
  const m = result.machine;
  const shard = result.config.shard ? `${result.config.shard.index}/${result.config.shard.count}` : 'none';
  const facts: Array<[string, string]> = [
    ['ctxbench', result.ctxbenchVersion],
    ['git commit', result.gitCommit ?? 'unknown'],
    ['machine', `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}`],
    ['started', result.timing.startedAt],
    ['duration', `${(result.timing.durationMs / 1000).toFixed(1)} s`],
    ['throughput', `${number(result.timing.turnsPerSecond, 1)} turns/s`],
    ['seed / shard', `${result.config.seed} / ${shard}`],
    ['interrupted', result.interrupted ? 'yes' : 'no'],
  ];
  return `<footer><h2>Run</h2><dl>${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd${k === 'git commit' ? ' class="commit"' : ''}>${esc(v)}</dd></div>`).join('')}</dl></footer>`;
}

/** One self-contained HTML page (inline CSS and SVG, no script, nothing fetched): verdict, charts, tables, run facts. */
export function htmlReport(result: RunResult): string {
  const views = datasetViews(result);
  const colors = strategyColors([...new Set([...result.config.strategies, ...result.aggregates.map((a) => a.strategy)])]);
  const scenario = result.config.scenario;
  const body = [
    ...(result.interrupted ? [`<p class="banner"><strong>${esc(interruptedBanner(result))}</strong></p>`] : []),
    verdictSection(result, views, colors),
    chartSections(result, views, colors),
    `<section id="tables"><h2>Per-dataset results</h2>${views.map((v) => datasetTable(v, colors)).join('')}</section>`,
    ...(result.evaluation ? [evaluationHtml(result.evaluation, esc)] : []),
    footer(result),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ctxbench: ${esc(scenario.name)} scenario, ${esc(scenario.model)}</title>
<style>${STYLES}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

const STYLES = `
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--card:#fff;--bg:#f4f6f9;--pass:#15803d;--fail:#b91c1c;--naive:#64748b;--production:#1d4ed8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif}
main{max-width:1160px;margin:0 auto;padding:32px 28px 48px}
h1{font-size:26px;line-height:1.25;margin:4px 0 6px}
h2{font-size:19px;margin:0 0 4px}
h3{font-size:16px;margin:0}
h3.sub{margin:22px 0 10px}
.eyebrow{margin:0;color:var(--muted);font-size:13px;letter-spacing:.04em;text-transform:uppercase}
.lede,.note,.muted{color:var(--muted)}
.lede{margin:0 0 20px}
.note{margin:0 0 14px;font-size:14px}
section,footer{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:22px 24px;margin:0 0 20px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.warning{background:#fef3c7;border:1px solid #f59e0b;border-radius:10px;padding:10px 14px}
.missions{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:14px;margin-top:12px}
.mission{border:1px solid var(--line);border-left:5px solid var(--fail);border-radius:10px;padding:14px 18px}
.mission.pass{border-left-color:var(--pass)}
.mission header{display:flex;justify-content:space-between;align-items:center;margin-bottom:6px}
.mission p{margin:4px 0}
.money{display:flex;gap:32px;margin:4px 0 6px}
.money dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.money dd{margin:0;font-size:20px;font-variant-numeric:tabular-nums}
.money strong{color:var(--production)}
.money small{color:var(--muted);font-size:12px}
.badge{font-weight:700;font-size:13px;letter-spacing:.06em;color:#fff;border-radius:999px;padding:3px 12px}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}
.badge.none{background:var(--muted)}.mission.none{border-left-color:var(--muted)}
.ok{color:var(--pass)}.bad{color:var(--fail)}
.fidelity{width:auto;margin-top:6px;font-size:13px}
.fidelity th,.fidelity td{border:0;padding:2px 14px 2px 0}
.fidelity th{color:var(--ink);font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-weight:400}
table{border-collapse:collapse;width:100%;font-size:14px;font-variant-numeric:tabular-nums}
th,td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
thead th{color:var(--muted);font-weight:600;font-size:13px;border-bottom:2px solid var(--line)}
tbody th{font-weight:500}
.num{text-align:right}
tr.naive{background:#f1f5f9}
tr.production{background:#eff6ff}
tr.naive th,tr.production th{font-weight:700}
.swatch{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:8px}
.tag{font-size:11px;font-weight:600;border-radius:4px;padding:1px 6px;margin-left:8px;color:#fff;vertical-align:1px}
.tag.naive{background:var(--naive)}.tag.production{background:var(--production)}
.monthly th:first-child{width:240px}
.spend{display:flex;align-items:baseline;justify-content:space-between;gap:12px}
.track{display:block;height:6px;margin-top:4px;background:#eef2f6;border-radius:3px;overflow:hidden;min-width:140px}
.fill{display:block;height:100%;border-radius:3px}
.amount{font-weight:600}
.relative{color:var(--muted);font-size:12px}
.details td,.details th{padding:6px 8px}
.ci{display:block;color:var(--muted);font-size:11px}
.scroll{overflow-x:auto}
figure{margin:8px 0 18px}
figcaption{font-weight:600;font-size:14px;margin-bottom:6px}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:20px}
svg.chart{width:100%;height:auto;display:block;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif}
svg .grid{stroke:#e5e7eb}
svg .baseline{stroke:#94a3b8}
svg .tick{fill:#64748b;font-size:12px}
svg .axis-title{fill:#334155;font-size:13px}
svg .row-label,svg .point-label{fill:#0f172a;font-size:13px}
svg .legend,svg .value{fill:#334155;font-size:12px}
svg .value.small{font-size:11px}
svg .point{stroke:#fff;stroke-width:2}
svg .ci{stroke-width:2;stroke-linecap:round}
svg .leader{stroke:#94a3b8;stroke-width:1}
svg .target line{stroke:#15803d;stroke-dasharray:5 4;stroke-width:1.5}
svg .target text{fill:#15803d;font-size:12px}
footer dl{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:8px 24px;margin:8px 0 0}
footer dt{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
footer dd{margin:0;font-size:14px;overflow-wrap:anywhere}
footer dd.commit{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
`;
