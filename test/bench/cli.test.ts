import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/ctxbench.js', import.meta.url).pathname;

describe('ctxbench CLI', () => {
  it('prints the per-section token table of a budgeted context', () => {
    const output = execFileSync(process.execPath, [bin, 'demo'], { encoding: 'utf8' });
    expect(output).toMatch(/context for mia_li_3668: \d+ of 8000 tokens/);
    expect(output).toContain('recent_messages');
  });

  it('prints its version', () => {
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
