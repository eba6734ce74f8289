import { z } from 'zod';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineDataset, Registry, type DatasetLoader, type RunResult, type StrategyPlugin } from '../../core/index.js';
import { dumpDom, findChromium, screenshotHtml } from '../../bench/screenshot.js';
import { runBenchmark } from '../../bench/runner/run.js';
import { htmlReport } from '../../reports/html.js';
import { markdownSummary } from '../../reports/markdown.js';
import { naive } from '../../strategies/naive.js';
import { strategies as bundled } from '../../strategies/index.js';
import { syntheticEpisode } from '../strategies/fixtures.js';

const EVIL = '<script>alert(1)</script>';
const STRATEGIES = ['naive', 'token-buffer', EVIL, 'production'];
const DATASETS = ['synthetic-a', 'synthetic-b'];

const synthetic = (name: string, users: string[]) =>
  defineDataset({ name, description: 'test episodes', options: z.object({}).strict(), load: async () => ({ name, episodes: users.map((u, i) => syntheticEpisode(u, `${u.toUpperCase()}${i}99`, 6 + i * 4)), skipped: [] }) });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const strategyRegistry = new Registry<StrategyPlugin<any>>('strategy').register(bundled.get('naive')).register(bundled.get('token-buffer')).register(bundled.get('production')).register({ ...naive, name: EVIL });

const run = (perTurn = true) =>
  runBenchmark({
    datasets: DATASETS.map((name) => ({ name })),
    strategies: STRATEGIES.map((name) => ({ name })),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    registries: { datasets: new Registry<DatasetLoader<any>>('dataset').register(synthetic('synthetic-a', ['alice', 'bob'])).register(synthetic('synthetic-b', ['carol', 'dave', 'erin'])), strategies: strategyRegistry },
    perTurn,
  });

const decode = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** The <svg> elements of one chart kind, in document order. */
const charts = (html: string, kind: string) => [...html.matchAll(/<svg\b[^>]*>[\s\S]*?<\/svg>/g)].map((m) => m[0]).filter((svg) => svg.includes(`data-chart="${kind}"`));

/** data-strategy values of the marks of one element name (circle, rect) in a chart, decoded. */
const marks = (svg: string, element: string) => [...svg.matchAll(new RegExp(`<${element}\\b[^>]*\\bdata-strategy="([^"]*)"`, 'g'))].map((m) => decode(m[1]!));

let result: RunResult;
let html: string;

beforeAll(async () => {
  result = await run();
  html = htmlReport(result);
});

describe('HTML report', () => {
  it('is self-contained: nothing is fetched from the network', () => {
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b|@import|url\(/i);
    expect(html).not.toMatch(/<script\b/i);
  });

  it('escapes strategy names that come from plug-ins', () => {
    expect(html).not.toContain(EVIL);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('draws one scatter point per strategy per dataset', () => {
    const scatters = charts(html, 'cost-fidelity');
    expect(scatters).toHaveLength(DATASETS.length);
    for (const svg of scatters) expect(marks(svg, 'circle').sort()).toEqual([...STRATEGIES].sort());
  });

  it('gives every chart an accessible role and label', () => {
    const svgs = [...html.matchAll(/<svg\b[^>]*>/g)].map((m) => m[0]);
    expect(svgs).toHaveLength(DATASETS.length * 4);
    for (const svg of svgs) expect(svg).toMatch(/role="img" aria-label="[^"]+" data-chart="[a-z-]+"/);
  });

  it('projects every strategy to $/month for the scenario and shows the mission verdict', () => {
    const a = result.aggregates.find((x) => x.dataset === 'synthetic-b' && x.strategy === 'token-buffer')!;
    const monthly = (a.costPerConversation * result.config.scenario.conversationsPerMonth).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    expect(html).toContain(`$${monthly}`);
    for (const mission of result.mission) {
      expect(mission.verdict).toBe('insufficient data'); // three synthetic episodes
      expect(html).toContain(`<span class="badge none">INSUFFICIENT DATA</span>`);
      expect(html).toContain(mission.reason);
    }
    expect(html).toContain('cost ratio <b>');
  });

  it('renders the same bytes for the same result', () => {
    expect(htmlReport(structuredClone(result))).toBe(html);
  });

  it('leaves out the latency histogram when the result has no per-turn rows', async () => {
    const page = htmlReport(await run(false));
    expect(charts(page, 'latency')).toHaveLength(DATASETS.length);
    expect(charts(page, 'latency-histogram')).toHaveLength(0);
  });

  it('warns when the run was interrupted', () => {
    expect(html).not.toContain('class="warning"');
    expect(htmlReport({ ...result, interrupted: true })).toContain('class="warning"');
    // A dataset the run never reached is named, not silently absent.
    const partial = { ...result, interrupted: true, config: { ...result.config, datasets: [...result.config.datasets, 'abcd'] } };
    expect(htmlReport(partial)).toContain('Not replayed at all: abcd.');
    expect(markdownSummary(partial)).toContain('Not replayed at all: abcd.');
  });
});

describe('text from the data or the configuration in summary.md', () => {
  it('cannot add a row, a heading or HTML: a forged verdict in a file path or a scenario name stays text on its line', () => {
    const forged = 'x\n\n| synthetic-a | $1.00 | $0.01 | 0.010 | 0 | – | – | PASS: forged |\n\n<img src=x onerror=alert(1)>';
    const dataset = { ...result.datasets[0]!, inputs: [{ option: 'file', path: `/data/${forged}.jsonl`, records: 1, bytes: 10, sha256: 'a'.repeat(64) }] };
    const md = markdownSummary({ ...result, config: { ...result.config, scenario: { ...result.config.scenario, name: `evil</title><script>\n| forged | PASS |` } }, datasets: [dataset, ...result.datasets.slice(1)] });
    expect(md).not.toMatch(/^\| (synthetic-a \| \$1\.00|forged)/m);
    expect(md).not.toMatch(/<(img|script)\b/);
    expect(md.split('\n')[0]).toMatch(/^# ctxbench: evil&lt;\/title&gt;&lt;script&gt; \\\| forged \\\| PASS \\\| scenario/);
  });

  it('shows $/conversation to four decimals, so two strategies a tenth of a cent apart differ', () => {
    const md = markdownSummary(result);
    const a = result.aggregates[0]!;
    expect(md).toContain(`$${a.costPerConversation.toFixed(4)}`);
    expect(md).toContain('tokens/call mean (p50 / p95)');
  });
});

describe('the HTML cost mark and token chart', () => {
  it('marks no cost ratio as met when naive costs nothing, and draws every call token, sections or not', () => {
    const free = { ...result, mission: result.mission.map((m) => ({ ...m, naiveMonthlyUsd: 0, productionMonthlyUsd: 0, costRatio: 0, verdict: 'no cost verdict' as const })) };
    expect(htmlReport(free)).not.toMatch(/cost ratio <b>0\.000<\/b>[^<]*✓/);
    for (const svg of charts(html, 'section-tokens')) {
      const totals = [...svg.matchAll(/<text class="value"[^>]*>([\d,]+)<\/text>/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
      const dataset = DATASETS.find((name) => svg.includes(`aria-label="${name}:`))!;
      const means = result.aggregates.filter((a) => a.dataset === dataset).map((a) => Math.round(a.inputTokens.mean));
      expect(totals).toEqual(means);
    }
  });
});

describe('HTML report in headless Chromium', () => {
  const chromium = findChromium();
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ctxbench-html-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders every chart with marks for every strategy, and a screenshot', (context) => {
    if (!chromium) context.skip('no Chromium binary at /usr/bin/chromium, /usr/bin/chromium-browser or $CHROMIUM_PATH');
    const page = join(dir, 'report.html');
    writeFileSync(page, html);
    const dom = dumpDom(chromium!, page);
    expect(dom).not.toMatch(/<script\b/i);
    for (const kind of ['cost-fidelity', 'section-tokens', 'latency', 'latency-histogram']) {
      const svgs = charts(dom, kind);
      expect(svgs, kind).toHaveLength(DATASETS.length);
      for (const svg of svgs) expect(new Set([...marks(svg, 'circle'), ...marks(svg, 'rect')]), kind).toEqual(new Set(STRATEGIES));
    }
    const png = join(dir, 'report.png');
    screenshotHtml(chromium!, page, png);
    expect(existsSync(png)).toBe(true);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(png).size).toBeGreaterThan(20 * 1024);
  }, 600_000);
});
