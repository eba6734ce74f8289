import { describe, expect, it } from 'vitest';
import { ConfigError, PriceTable } from '../../../core/index.js';

describe('price lookup by model name', () => {
  it.each([
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-4.1-nano-2025-04-14', 'gpt-4.1-nano'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
  ])('prices the dated snapshot %s as %s', (snapshot, model) => {
    expect(new PriceTable().get(snapshot).model).toBe(model);
  });

  it('prices an MMDD snapshot (gpt-4-0613) as its model', () => {
    const table = new PriceTable([{ model: 'gpt-4', provider: 'openai', input: 30, cachedInput: 30, output: 60 }]);
    expect(table.get('gpt-4-0613').model).toBe('gpt-4');
  });

  it.each([
    ['gpt-4o-minii', 'gpt-4o-mini'],
    ['gpt-4.1-nanoo', 'gpt-4.1-nano'],
    ['gpt-5-nano-x', 'gpt-5-nano'],
    ['claude-sonnet-4-6', 'claude-sonnet-4-5'],
  ])('refuses the misspelt %s instead of billing it as a shorter model, suggesting %s', (model, suggestion) => {
    const lookup = () => new PriceTable().get(model);
    expect(lookup).toThrow(ConfigError);
    expect(lookup).toThrow(`no price for model "${model}"\n  fix: did you mean "${suggestion}"?`);
  });

  it.each(['gemini-2.5-flash-lite', 'gpt-4o-2024-08', 'gpt-4o-202408', 'gpt-4o-audio-preview-2024-10-01'])('refuses %s, whose suffix is not only a date', (model) => {
    expect(() => new PriceTable().get(model)).toThrow(/no price for model[\s\S]*a dated snapshot \(gpt-4o-2024-08-06, claude-sonnet-4-5-20250929\) takes its model's price/);
  });
});
