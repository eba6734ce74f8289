import { gateCounts, type CheckReport, type Gate } from '../core/index.js';

// Characters XML 1.0 forbids outright; they are dropped rather than escaped.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' };

/** Text safe inside an XML attribute or element. */
function escapeXml(text: string): string {
  return text.replace(FORBIDDEN, '').replace(/[&<>"'\n\r\t]/g, (character) => ENTITIES[character]!);
}

function counts(report: CheckReport): string {
  const { fail, skip } = gateCounts(report);
  return `tests="${report.gates.length}" failures="${fail}" errors="0" skipped="${skip}"`;
}

function testcase(gate: Gate): string {
  const open = `    <testcase classname="${escapeXml(gate.kind)}" name="${escapeXml(gate.name)}" time="0"`;
  if (gate.status === 'pass') return `${open}/>`;
  const message = escapeXml(gate.message);
  const body = gate.status === 'fail' ? `<failure message="${message}" type="${escapeXml(gate.kind)}">${message}</failure>` : `<skipped message="${message}"/>`;
  return `${open}>\n      ${body}\n    </testcase>`;
}

/** The check as JUnit XML for CI systems: one testcase per gate, classname = the gate's kind. */
export function junitXml(report: CheckReport): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ctxbench check" ${counts(report)}>`,
    `  <testsuite name="ctxbench check" ${counts(report)} time="0">`,
    ...report.gates.map(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
