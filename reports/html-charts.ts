import type { Aggregate, ProbeMetric, TurnRow } from '../core/index.js';

// Hand-written SVG charts for the HTML report: no chart library, so the report opens offline and renders the same everywhere.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML (and SVG) element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
const esc = escapeHtml;

/** The mission's two roles keep their colours in every report; other strategies take the palette in run order. */
const ROLE_COLORS: Record<string, string> = { naive: '#64748b', production: '#1d4ed8' };
const STRATEGY_PALETTE = ['#f28e2b', '#59a14f', '#b07aa1', '#e15759', '#17a2b8', '#c9a227', '#9c755f', '#ff6f91', '#6f42c1', '#20c997'];
const SECTION_PALETTE = ['#4e79a7', '#a0cbe8', '#f28e2b', '#ffbe7d', '#59a14f', '#8cd17d', '#b6992d', '#f1ce63', '#499894', '#86bcb6', '#e15759', '#ff9d9a', '#79706e', '#bab0ac', '#d37295', '#fabfd2'];

/** One colour per strategy, stable for the same strategy list. */
export function strategyColors(strategies: readonly string[]): Map<string, string> {
  const others = strategies.filter((name) => !(name in ROLE_COLORS));
  return new Map(strategies.map((name) => [name, ROLE_COLORS[name] ?? STRATEGY_PALETTE[others.indexOf(name) % STRATEGY_PALETTE.length]!]));
}

/** One colour per context section across the whole run, so a section looks the same in every dataset's chart. */
export function sectionColors(aggregates: readonly Aggregate[]): Map<string, string> {
  const sections = [...new Set(aggregates.flatMap((a) => Object.keys(a.sections).filter((s) => a.sections[s]! > 0)))];
  return new Map(sections.map((s, i) => [s, SECTION_PALETTE[i % SECTION_PALETTE.length]!]));
}

/** The fidelity metric a dataset is judged on in the scatter chart, in order of preference. */
const MAIN_FIDELITY_METRICS: readonly ProbeMetric[] = ['answerJudge', 'nextActionExact', 'answerF1', 'factRetention', 'evidenceRecall', 'guidelinePresence', 'recallAt10', 'routingAccuracy'];

/** The first of MAIN_FIDELITY_METRICS that every given aggregate reports, or undefined. */
export function mainFidelityMetric(aggregates: readonly Aggregate[]): ProbeMetric | undefined {
  return MAIN_FIDELITY_METRICS.find((metric) => aggregates.length > 0 && aggregates.every((a) => a.metrics[metric]));
}

/** A numeric axis: maps a data value to a pixel position and knows its ticks. */
interface Axis {
  at(value: number): number;
  ticks: number[];
  label(value: number): string;
}

interface Plot {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Smallest and largest value, by a loop: per-turn samples can be too many to spread into Math.min. */
function extent(values: readonly number[]): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return values.length ? [lo, hi] : [0, 0];
}

const fixed = (value: number, decimals: number) => value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
const decimalsOf = (step: number) => (step.toFixed(10).split('.')[1] ?? '').replace(/0+$/, '').length;

/** A linear axis over nice round ticks that cover the values, clamped to `bounds`. */
function linearAxis(values: number[], range: [number, number], unit: { prefix?: string; minDecimals?: number; bounds?: [number, number] } = {}): Axis {
  let [lo, hi] = extent(values);
  if (hi - lo < 1e-12) [lo, hi] = [lo - (Math.abs(lo) * 0.1 || 1), hi + (Math.abs(hi) * 0.1 || 1)];
  const raw = (hi - lo) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((n) => n * magnitude >= raw) ?? 10) * magnitude;
  const [min, max] = unit.bounds ?? [-Infinity, Infinity];
  const first = Math.max(min, Math.floor(lo / step + 1e-9) * step);
  const last = Math.min(max, Math.ceil(hi / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let k = 0; first + k * step <= last + step * 1e-6; k++) ticks.push(Number((first + k * step).toPrecision(12)));
  const decimals = Math.max(unit.minDecimals ?? 0, decimalsOf(step));
  const at = (value: number) => range[0] + ((value - first) / (last - first)) * (range[1] - range[0]);
  return { at, ticks, label: (value) => `${unit.prefix ?? ''}${fixed(value, decimals)}` };
}

/** A log10 axis from the decade below the smallest value to the decade above the largest (zeros clamped to a floor). */
function logAxis(values: number[], range: [number, number], floor = 0.001): Axis {
  const [min, max] = extent(values);
  const lo = Math.floor(Math.log10(Math.max(min, floor)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(max, floor))));
  const decades = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const steps = decades.length <= 3 ? [1, 2, 5] : [1];
  const ticks = decades.flatMap((d) => steps.map((s) => Number((s * 10 ** d).toPrecision(6)))).filter((v) => v <= 10 ** hi);
  const at = (value: number) => range[0] + ((Math.log10(Math.max(value, floor)) - lo) / (hi - lo)) * (range[1] - range[0]);
  return { at, ticks, label: (value) => fixed(value, Math.max(0, -Math.floor(Math.log10(value) + 1e-9))) };
}

/** Grid lines, tick labels and the title of an axis along the bottom or the left of a plot. */
function axisMarks(axis: Axis, side: 'bottom' | 'left', plot: Plot, title: string): string {
  const marks = axis.ticks.map((tick) => {
    const p = axis.at(tick).toFixed(1);
    return side === 'bottom'
      ? `<line class="grid" x1="${p}" x2="${p}" y1="${plot.top}" y2="${plot.bottom}"/><text class="tick" x="${p}" y="${plot.bottom + 18}" text-anchor="middle">${esc(axis.label(tick))}</text>`
      : `<line class="grid" x1="${plot.left}" x2="${plot.right}" y1="${p}" y2="${p}"/><text class="tick" x="${plot.left - 8}" y="${p}" dy="4" text-anchor="end">${esc(axis.label(tick))}</text>`;
  });
  const caption =
    side === 'bottom'
      ? `<text class="axis-title" x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 42}" text-anchor="middle">${esc(title)}</text>`
      : `<text class="axis-title" transform="translate(${plot.left - 52} ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(title)}</text>`;
  const baseline = side === 'bottom' ? `<line class="baseline" x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}"/>` : '';
  return `<g class="axis">${marks.join('')}${baseline}${caption}</g>`;
}

/** The outer <svg> of every chart: role, label and data-chart let readers and tests know what it shows. */
function svgChart(kind: string, label: string, width: number, height: number, body: string): string {
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(label)}" data-chart="${kind}" viewBox="0 0 ${width} ${height}" width="${width}" height="${Math.ceil(height)}">${body}</svg>`;
}

/** Approximate rendered width of chart text, for label placement. */
const textWidth = (text: string, size = 12) => text.length * size * 0.56;

/** A wrapping row of colour swatches with labels; returns the SVG and the height it takes. */
function legend(items: Array<{ label: string; color: string; opacity?: number }>, x: number, y: number, width: number): { svg: string; height: number } {
  let [cx, cy] = [x, y];
  const parts = items.map((item) => {
    const w = 20 + textWidth(item.label) + 18;
    if (cx + w > x + width && cx > x) [cx, cy] = [x, cy + 20];
    const part = `<g class="legend-item"><rect x="${cx}" y="${cy}" width="12" height="12" rx="2" fill="${item.color}"${item.opacity ? ` fill-opacity="${item.opacity}"` : ''}/><text class="legend" x="${cx + 18}" y="${cy + 10}">${esc(item.label)}</text></g>`;
    cx += w;
    return part;
  });
  return { svg: parts.join(''), height: cy - y + 20 };
}

/** Strategy names right-aligned at `x`, each with its colour swatch, one per row. */
function strategyLabels(strategies: string[], colors: Map<string, string>, x: number, rowY: (i: number) => number): string {
  const room = Math.floor((x - 24) / (13 * 0.56));
  return strategies
    .map((name, i) => {
      const y = rowY(i);
      const shown = name.length > room ? `${name.slice(0, room - 1)}…` : name;
      return `<text class="row-label" x="${x - 16}" y="${y}" dy="4" text-anchor="end">${esc(shown)}<title>${esc(name)}</title></text><circle cx="${x - 7}" cy="${y}" r="4" fill="${colors.get(name) ?? '#888'}"/>`;
    })
    .join('');
}

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

interface PlacedLabel {
  x: number;
  y: number;
  anchor: 'start' | 'end';
}

const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const inside = (a: Box, area: Box) => a.x0 >= area.x0 && a.x1 <= area.x1 && a.y0 >= area.y0 && a.y1 <= area.y1;
const LABEL_SHIFTS = [0, 14, -14, 28, -28, 42, -42, 56, -56, 70, -70];

/** An area a label should keep clear of; labels and points weigh more than error bars and guide lines. */
interface Obstacle extends Box {
  weight: number;
}

/** Places a label beside each point (right, else left, nudged up or down), where it overlaps the least weight of points, labels and obstacles. */
function placeLabels(points: Array<{ x: number; y: number; text: string }>, obstacles: Obstacle[], area: Box): PlacedLabel[] {
  const taken = [...obstacles, ...points.map((p) => ({ x0: p.x - 7, x1: p.x + 7, y0: p.y - 7, y1: p.y + 7, weight: 10 }))];
  const order = points.map((_, i) => i).sort((a, b) => points[a]!.y - points[b]!.y || a - b);
  const placed = new Array<PlacedLabel>(points.length);
  for (const i of order) {
    const { x, y, text } = points[i]!;
    const w = textWidth(text, 13);
    const boxOf = (c: PlacedLabel) => ({ x0: c.anchor === 'start' ? c.x : c.x - w, x1: c.anchor === 'start' ? c.x + w : c.x, y0: c.y - 7, y1: c.y + 7 });
    const candidates = LABEL_SHIFTS.flatMap((dy) => (['start', 'end'] as const).map((anchor) => ({ x: anchor === 'start' ? x + 10 : x - 10, y: y + dy, anchor })));
    const scored = candidates.filter((c) => inside(boxOf(c), area)).map((c) => ({ c, cost: taken.reduce((sum, box) => sum + (overlaps(boxOf(c), box) ? box.weight : 0), 0) }));
    const choice = scored.reduce<{ c: PlacedLabel; cost: number } | undefined>((best, s) => (!best || s.cost < best.cost ? s : best), undefined)?.c ?? candidates[0]!;
    taken.push({ ...boxOf(choice), weight: 10 });
    placed[i] = choice;
  }
  return placed;
}

/** The dashed line of the mission's cost target, labelled above the plot. */
function targetMarker(at: number, plot: Plot, text: string): { svg: string; obstacles: Obstacle[] } {
  const w = textWidth(text);
  return {
    svg: `<g class="target"><line x1="${at.toFixed(1)}" x2="${at.toFixed(1)}" y1="${plot.top - 8}" y2="${plot.bottom}"/><text x="${(at + 5).toFixed(1)}" y="${plot.top - 10}">${esc(text)}</text></g>`,
    obstacles: [
      { x0: at, x1: at + 5 + w, y0: plot.top - 22, y1: plot.top - 6, weight: 10 },
      { x0: at - 1, x1: at + 1, y0: plot.top, y1: plot.bottom, weight: 1 },
    ],
  };
}

/** One strategy's point: its 95% CI as an error bar, the point, and its label (with a leader line when nudged away). */
function scatterMark(a: Aggregate, metric: ProbeMetric, x: Axis, y: Axis, color: string, label: PlacedLabel): string {
  const e = a.metrics[metric]!;
  const [px, py] = [x.at(a.costPerConversation), y.at(e.mean)];
  const [top, bottom] = [y.at(e.ci95[1]).toFixed(1), y.at(e.ci95[0]).toFixed(1)];
  const cap = (at: string) => `<line x1="${(px - 5).toFixed(1)}" x2="${(px + 5).toFixed(1)}" y1="${at}" y2="${at}"/>`;
  const tip = `${a.strategy}: $${a.costPerConversation.toFixed(4)}/conversation, ${metric} ${e.mean.toFixed(3)} [${e.ci95[0].toFixed(3)}, ${e.ci95[1].toFixed(3)}]`;
  const leader = Math.abs(label.y - py) > 1 ? `<line class="leader" x1="${px.toFixed(1)}" y1="${py.toFixed(1)}" x2="${label.x.toFixed(1)}" y2="${label.y.toFixed(1)}"/>` : '';
  return (
    `<g class="ci" data-strategy="${esc(a.strategy)}" stroke="${color}"><line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${top}" y2="${bottom}"/>${cap(top)}${cap(bottom)}</g>` +
    `${leader}<circle class="point" data-strategy="${esc(a.strategy)}" cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="6.5" fill="${color}"><title>${esc(tip)}</title></circle>` +
    `<text class="point-label" x="${label.x.toFixed(1)}" y="${label.y.toFixed(1)}" dy="4" text-anchor="${label.anchor}">${esc(a.strategy)}</text>`
  );
}

/** Cost per conversation against the dataset's main fidelity metric, one labelled point per strategy with its 95% CI; '' without a metric. */
export function costFidelityChart(dataset: string, aggregates: Aggregate[], colors: Map<string, string>, costTarget?: number): string {
  const metric = mainFidelityMetric(aggregates);
  if (!metric) return '';
  const [width, height] = [1080, 390];
  const plot = { left: 76, right: width - 24, top: 36, bottom: height - 56 };
  const naive = aggregates.find((a) => a.strategy === 'naive');
  const target = naive && costTarget !== undefined ? naive.costPerConversation * costTarget : undefined;
  const x = linearAxis([0, ...aggregates.map((a) => a.costPerConversation * 1.04)], [plot.left, plot.right], { prefix: '$', minDecimals: 2, bounds: [0, Infinity] });
  const y = linearAxis(aggregates.flatMap((a) => a.metrics[metric]!.ci95), [plot.bottom, plot.top], { bounds: [0, 1] });
  const marker = target === undefined ? undefined : targetMarker(x.at(target), plot, `cost target: ${Math.round(costTarget! * 100)}% of naive`);
  const points = aggregates.map((a) => ({ x: x.at(a.costPerConversation), y: y.at(a.metrics[metric]!.mean), text: a.strategy }));
  const errorBars = aggregates.map((a, i) => ({ x0: points[i]!.x - 5, x1: points[i]!.x + 5, y0: y.at(a.metrics[metric]!.ci95[1]), y1: y.at(a.metrics[metric]!.ci95[0]), weight: 2 }));
  const labels = placeLabels(points, [...(marker?.obstacles ?? []), ...errorBars], { x0: plot.left + 2, x1: width - 4, y0: 4, y1: plot.bottom - 2 });
  const marks = aggregates.map((a, i) => scatterMark(a, metric, x, y, colors.get(a.strategy) ?? '#888', labels[i]!));
  const body = axisMarks(x, 'bottom', plot, 'cost per conversation (USD)') + axisMarks(y, 'left', plot, `${metric} (mean, 95% CI)`) + (marker?.svg ?? '') + marks.join('');
  return svgChart('cost-fidelity', `${dataset}: cost per conversation against ${metric}, one point per strategy`, width, height, body);
}

/** A data bar: every bar carries its strategy, so readers and tests can tell what it measures. */
function bar(strategy: string, box: { x: number; y: number; width: number; height: number }, fill: string, title: string, attributes = ''): string {
  return `<rect class="bar" data-strategy="${esc(strategy)}"${attributes} x="${box.x.toFixed(1)}" y="${box.y.toFixed(1)}" width="${box.width.toFixed(1)}" height="${box.height.toFixed(1)}" fill="${fill}"><title>${esc(title)}</title></rect>`;
}

const ROW_HEIGHT = 34;
/** Room for the strategy names left of the bars. */
const ROW_LABELS_WIDTH = 150;

/** A chart with one row per strategy under a header (legend or note), labelled on the left, with a bottom axis; `draw` places the marks. */
function rowChart(spec: {
  kind: string;
  label: string;
  width: number;
  header: { svg: string; height: number };
  strategies: string[];
  colors: Map<string, string>;
  axis: (range: [number, number]) => Axis;
  axisTitle: string;
  draw: (x: Axis, rowY: (i: number) => number, plot: Plot) => string;
}): string {
  const top = spec.header.height + 18;
  const plot = { left: ROW_LABELS_WIDTH, right: spec.width - 64, top, bottom: top + spec.strategies.length * ROW_HEIGHT };
  const rowY = (i: number) => top + i * ROW_HEIGHT + ROW_HEIGHT / 2;
  const x = spec.axis([plot.left, plot.right]);
  const body = spec.header.svg + axisMarks(x, 'bottom', plot, spec.axisTitle) + strategyLabels(spec.strategies, spec.colors, plot.left, rowY) + spec.draw(x, rowY, plot);
  return svgChart(spec.kind, spec.label, spec.width, plot.bottom + 52, body);
}

/** The part of a call outside every named section, in the section chart. */
const OUTSIDE_SECTIONS = 'outside sections (message framing)';
const OUTSIDE_COLOR = '#b8b8b8';

/** Mean tokens per section per strategy as stacked horizontal bars, with a legend of the sections. */
export function sectionTokensChart(dataset: string, aggregates: Aggregate[], colors: Map<string, string>, palette: Map<string, string>): string {
  const sections = [...palette.keys()].filter((s) => aggregates.some((a) => (a.sections[s] ?? 0) > 0));
  // The rest of each call's tokens (the few that frame each message, text no section claims): drawn
  // too, so every bar ends at the call's mean tokens, as in the table.
  const outside = aggregates.map((a) => Math.max(0, a.inputTokens.mean - sections.reduce((sum, s) => sum + (a.sections[s] ?? 0), 0)));
  const parts = [...sections, OUTSIDE_SECTIONS];
  const tokensOf = (a: Aggregate, i: number, part: string) => (part === OUTSIDE_SECTIONS ? outside[i]! : (a.sections[part] ?? 0));
  const colorOf = (part: string) => (part === OUTSIDE_SECTIONS ? OUTSIDE_COLOR : palette.get(part)!);
  const totals = aggregates.map((a, i) => parts.reduce((sum, part) => sum + tokensOf(a, i, part), 0));
  const draw = (x: Axis, rowY: (i: number) => number) =>
    aggregates
      .map((a, i) => {
        let start = 0;
        const segments = parts.flatMap((s) => {
          const tokens = tokensOf(a, i, s);
          if (tokens <= 0) return [];
          const box = { x: x.at(start), y: rowY(i) - 11, width: Math.max(0.5, x.at(start + tokens) - x.at(start)), height: 22 };
          start += tokens;
          return [bar(a.strategy, box, colorOf(s), `${a.strategy} · ${s}: ${fixed(tokens, 0)} tokens`, ` data-section="${esc(s)}"`)];
        });
        return `${segments.join('')}<text class="value" x="${(x.at(totals[i]!) + 6).toFixed(1)}" y="${rowY(i)}" dy="4">${fixed(totals[i]!, 0)}</text>`;
      })
      .join('');
  return rowChart({
    kind: 'section-tokens',
    label: `${dataset}: mean tokens per context section, per strategy`,
    width: 1080,
    header: legend(
      [...sections, ...(outside.some((tokens) => tokens >= 0.5) ? [OUTSIDE_SECTIONS] : [])].map((s) => ({ label: s, color: colorOf(s) })),
      ROW_LABELS_WIDTH,
      8,
      900,
    ),
    strategies: aggregates.map((a) => a.strategy),
    colors,
    axis: (range) => linearAxis([0, ...totals], range, { bounds: [0, Infinity] }),
    axisTitle: 'mean tokens per call',
    draw,
  });
}

/** Milliseconds with two significant digits below 1 ms, for latencies that span decades. */
export const formatMs = (value: number) => (value < 1 ? Number(value.toPrecision(2)).toString() : value.toFixed(value < 10 ? 2 : 1));

/** Median and 95th-percentile latency of assembling a context, per strategy, on a log scale. */
export function latencyChart(dataset: string, aggregates: Aggregate[], colors: Map<string, string>): string {
  const draw = (x: Axis, rowY: (i: number) => number, plot: Plot) =>
    aggregates
      .map((a, i) => {
        const stat = (name: 'p50' | 'p95', dy: number, opacity: number) => {
          const value = a.latencyMs[name];
          const box = { x: plot.left, y: rowY(i) + dy, width: Math.max(1, x.at(value) - plot.left), height: 11 };
          const text = `${formatMs(value)} ms`;
          return bar(a.strategy, box, colors.get(a.strategy) ?? '#888', `${a.strategy} ${name}: ${text}`, ` data-stat="${name}" fill-opacity="${opacity}"`) + `<text class="value small" x="${(box.x + box.width + 5).toFixed(1)}" y="${(box.y + 9).toFixed(1)}">${text}</text>`;
        };
        return stat('p50', -12, 1) + stat('p95', 1, 0.35);
      })
      .join('');
  return rowChart({
    kind: 'latency',
    label: `${dataset}: p50 and p95 context assembly latency per strategy`,
    width: 540,
    header: legend([{ label: 'p50', color: '#334155' }, { label: 'p95', color: '#334155', opacity: 0.35 }], ROW_LABELS_WIDTH, 8, 380),
    strategies: aggregates.map((a) => a.strategy),
    colors,
    axis: (range) => logAxis(aggregates.flatMap((a) => [a.latencyMs.p50, a.latencyMs.p95]), range),
    axisTitle: 'context assembly latency (ms, log scale)',
    draw,
  });
}

const HISTOGRAM_BINS = 28;

/** Per-turn latency histograms on shared log-scaled bins, one small row per strategy. */
export function latencyHistogram(dataset: string, strategies: string[], turns: TurnRow[], colors: Map<string, string>): string {
  const draw = (x: Axis, rowY: (i: number) => number, plot: Plot) => {
    const binWidth = (plot.right - plot.left) / HISTOGRAM_BINS;
    const binOf = (value: number) => Math.max(0, Math.min(HISTOGRAM_BINS - 1, Math.floor((x.at(value) - plot.left) / binWidth)));
    return strategies
      .map((strategy, i) => {
        const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
        for (const t of turns) if (t.strategy === strategy) counts[binOf(t.latencyMs)]!++;
        const peak = Math.max(1, ...counts);
        return counts
          .map((count, b) => {
            const h = Math.max(1.5, (count / peak) * 28);
            return count ? bar(strategy, { x: plot.left + b * binWidth + 0.5, y: rowY(i) + 14 - h, width: binWidth - 1, height: h }, colors.get(strategy) ?? '#888', `${strategy}: ${count} turns`) : '';
          })
          .join('');
      })
      .join('');
  };
  return rowChart({
    kind: 'latency-histogram',
    label: `${dataset}: histogram of per-turn context assembly latency per strategy`,
    width: 540,
    header: { svg: `<text class="legend" x="${ROW_LABELS_WIDTH}" y="18">turns per latency bin, scaled to each strategy's busiest bin</text>`, height: 18 },
    strategies,
    colors,
    axis: (range) => logAxis(turns.map((t) => t.latencyMs), range),
    axisTitle: 'per-turn latency (ms, log scale)',
    draw,
  });
}
