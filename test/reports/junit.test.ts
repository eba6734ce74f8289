import { beforeAll, describe, expect, it } from 'vitest';
import { checkResult } from '../../bench/check.js';
import type { CheckReport } from '../../core/index.js';
import { junitXml } from '../../reports/junit.js';
import { replaySynthetic } from '../bench/results.js';

const count = (xml: string, pattern: RegExp) => xml.match(pattern)?.length ?? 0;
const attribute = (element: string, name: string) => new RegExp(` ${name}="([^"]*)"`).exec(element)?.[1];
const unescape = (text: string) =>
  text.replace(/&(lt|gt|quot|apos|amp|#\d+);/g, (_, entity: string) =>
    entity.startsWith('#') ? String.fromCharCode(Number(entity.slice(1))) : ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[entity]!,
  );

/** Tags in the order they open and close; throws when they do not nest. */
function assertWellFormed(xml: string): void {
  const open: string[] = [];
  for (const [tag, closing, name, selfClosing] of xml.replace(/^<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([A-Za-z-]+)(?:\s[^<>]*?)?(\/?)>/g)) {
    if (closing) expect(open.pop(), tag).toBe(name);
    else if (!selfClosing) open.push(name!);
  }
  expect(open).toEqual([]);
  expect(xml.replace(/<[^<>]*>/g, '')).not.toMatch(/[<>]|&(?!(lt|gt|quot|apos|amp|#\d+);)/);
}

const oneGate = (message: string, name = 'gate'): CheckReport => ({
  pass: false,
  gates: [{ kind: 'threshold', name, status: 'fail', value: 1, limit: 0, bound: 'upper', message }],
});

describe('junitXml', () => {
  let report: CheckReport;
  beforeAll(async () => {
    report = checkResult(await replaySynthetic(), { thresholds: { maxCostRatio: 0.1 } });
  });

  it('is well-formed XML', () => {
    assertWellFormed(junitXml(report));
  });

  it('writes one testcase per gate, a failure per failed gate and a skipped per skipped gate', () => {
    const xml = junitXml(report);
    expect(count(xml, /<testcase /g)).toBe(report.gates.length);
    expect(count(xml, /<failure /g)).toBe(report.gates.filter((g) => g.status === 'fail').length);
    expect(count(xml, /<skipped /g)).toBe(report.gates.filter((g) => g.status === 'skip').length);
  });

  it('puts the counts on the suite', () => {
    const suite = /<testsuite [^>]*>/.exec(junitXml(report))![0];
    expect([attribute(suite, 'tests'), attribute(suite, 'failures'), attribute(suite, 'skipped')]).toEqual([String(report.gates.length), '1', '1']);
  });

  it('names each testcase by its gate, with the gate kind as classname', () => {
    expect(junitXml(report)).toContain('<testcase classname="threshold" name="synthetic costRatio" time="0">');
  });

  it('escapes < & and quotes in names and messages so they read back unchanged', () => {
    const message = 'cost <= "budget" & latency > \'limit\'';
    const xml = junitXml(oneGate(message, 'a<b & "c"'));
    assertWellFormed(xml);
    const failure = /<failure [^>]*>/.exec(xml)![0];
    expect(unescape(attribute(failure, 'message')!)).toBe(message);
    expect(unescape(attribute(/<testcase [^>]*>/.exec(xml)![0], 'name')!)).toBe('a<b & "c"');
  });

  it('drops control characters that XML cannot carry', () => {
    expect(junitXml(oneGate('bad\u0000byte'))).toContain('message="badbyte"');
  });
});
