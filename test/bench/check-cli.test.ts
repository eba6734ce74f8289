import { describe, expect, it } from 'vitest';
import { ctxbenchInProcess } from './in-process-cli.js';

describe('check refuses threshold flags it cannot read, naming the flag and the value', () => {
  it.each([
    [['--max-cost-ratio', 'abc'], /--max-cost-ratio must be a plain number such as 0.1, got "abc"/],
    [['--latency-tolerance', '50%'], /--latency-tolerance must be a plain number such as 0.2 \(for 20%\), got "50%"/],
    [['--min', 'factRetention=0.9.5'], /--min factRetention must be a share from 0 to 1 \(for example factRetention=0.95\), got "0.9.5"/],
    [['--min', 'factRetention=-0.1'], /--min factRetention must be a share from 0 to 1 .*got "-0.1"/],
  ])('%j', async (flags, message) => {
    const check = await ctxbenchInProcess(['check', 'bench/baseline/quick.json', ...flags]);
    expect(check.status).toBe(2);
    expect(check.stderr).toMatch(message);
    expect(check.stderr).not.toContain('NaN');
  });

  it('refuses a misspelt strategy instead of skipping its gates and passing', async () => {
    const check = await ctxbenchInProcess(['check', 'bench/baseline/quick.json', '--min', 'factRetention=0.5', '-s', 'prodution']);
    expect(check.status).toBe(2);
    expect(check.stderr).toMatch(/unknown strategy "prodution"[\s\S]*did you mean "production"/);
  });
});
