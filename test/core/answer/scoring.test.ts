import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeMessages, JUDGE_PROMPT, matchAction, parseJudgeVerdict, tokenF1, type ToolCall } from '../../../core/index.js';

const call = (name: string, args: unknown): ToolCall => ({ id: 'c', type: 'function', function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } });

describe('tokenF1', () => {
  it('is 1 for the same answer up to case, punctuation, articles and inflection', () => {
    expect(tokenF1('The Shell Necklaces, and a Painting!', 'a shell necklace; painting')).toBe(1);
  });

  it('is 0 when no token is shared', () => {
    expect(tokenF1('Paris', 'a shell necklace')).toBe(0);
  });

  it('counts a partly right answer by the overlap of tokens (2 of 3 predicted, 2 of 2 gold)', () => {
    expect(tokenF1('shell necklace yesterday', 'shell necklace')).toBeCloseTo((2 * (2 / 3) * 1) / (2 / 3 + 1), 10);
  });

  it('counts a repeated token only as often as the gold answer has it', () => {
    expect(tokenF1('red red red', 'red')).toBeCloseTo(0.5, 10);
  });

  it('is 1 for two empty answers and 0 when only one is empty', () => {
    expect(tokenF1('', 'the')).toBe(1);
    expect(tokenF1('', 'Paris')).toBe(0);
  });

  it('is symmetric and between 0 and 1', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const f1 = tokenF1(a, b);
        expect(f1).toBeGreaterThanOrEqual(0);
        expect(f1).toBeLessThanOrEqual(1);
        expect(tokenF1(b, a)).toBeCloseTo(f1, 12);
      }),
    );
  });
});

describe('matchAction', () => {
  const recorded = call('cancel_reservation', { reservation_id: 'ZFA04Y', reason: 'change of plan' });

  it('scores the same tool with the same arguments, in any key order, as an exact match', () => {
    expect(matchAction([call('cancel_reservation', { reason: 'change of plan', reservation_id: 'ZFA04Y' })], recorded)).toEqual({ tool: 1, exact: 1, arguments: 1 });
  });

  it('gives per-argument credit for the arguments that are equal', () => {
    expect(matchAction([call('cancel_reservation', { reservation_id: 'ZFA04Y', reason: 'other' })], recorded)).toEqual({ tool: 1, exact: 0, arguments: 0.5 });
  });

  it('is not exact when the model adds an argument, though every recorded one matches', () => {
    expect(matchAction([call('cancel_reservation', { reservation_id: 'ZFA04Y', reason: 'change of plan', refund: true })], recorded)).toEqual({ tool: 1, exact: 0, arguments: 1 });
  });

  it('gives nothing for another tool, even with equal arguments', () => {
    expect(matchAction([call('get_reservation_details', { reservation_id: 'ZFA04Y' })], recorded)).toEqual({ tool: 0, exact: 0, arguments: 0 });
  });

  it('gives nothing when the model calls no tool', () => {
    expect(matchAction(undefined, recorded)).toEqual({ tool: 0, exact: 0, arguments: 0 });
    expect(matchAction([], recorded)).toEqual({ tool: 0, exact: 0, arguments: 0 });
  });

  it('compares the model call of the recorded tool among parallel calls', () => {
    expect(matchAction([call('get_user_details', { user_id: 'u' }), call('cancel_reservation', { reservation_id: 'ZFA04Y', reason: 'change of plan' })], recorded).exact).toBe(1);
  });

  it('does not equate a number with the same digits as a string', () => {
    expect(matchAction([call('book', { passengers: '2' })], call('book', { passengers: 2 }))).toEqual({ tool: 1, exact: 0, arguments: 0 });
  });

  it('compares nested values deeply', () => {
    const nested = { payment: { id: 'card_1', amount: 50 }, legs: [{ flight: 'HAT001' }] };
    expect(matchAction([call('book', { legs: [{ flight: 'HAT001' }], payment: { amount: 50, id: 'card_1' } })], call('book', nested)).exact).toBe(1);
  });

  it('credits the tool but no argument when the model arguments are not JSON', () => {
    expect(matchAction([call('cancel_reservation', '{"reservation_id": ')], recorded)).toEqual({ tool: 1, exact: 0, arguments: 0 });
  });

  it('treats empty arguments as no arguments', () => {
    expect(matchAction([call('list_all_airports', '')], call('list_all_airports', {}))).toEqual({ tool: 1, exact: 1, arguments: 1 });
  });

  it('compares recorded arguments that are not JSON as text', () => {
    expect(matchAction([call('search_faq', 'refund policy')], call('search_faq', 'refund policy'))).toEqual({ tool: 1, exact: 1, arguments: 1 });
  });
});

describe('the judge', () => {
  it('fills the question, the gold answer and the generated answer into the fixed prompt once', () => {
    const [message] = judgeMessages('What did Mel paint?', 'a sunset', 'She painted {gold}');
    expect(message!.role).toBe('user');
    expect(message!.content).toContain('Question: What did Mel paint?\nGold answer: a sunset\nGenerated answer: She painted {gold}');
    expect(JUDGE_PROMPT).toContain('CORRECT');
  });

  it('reads the label of a JSON reply, also inside a code fence', () => {
    expect(parseJudgeVerdict('{"reasoning": "Same topic, not WRONG.", "label": "CORRECT"}')).toBe('CORRECT');
    expect(parseJudgeVerdict('```json\n{"label": "wrong"}\n```')).toBe('WRONG');
  });

  it('reads a bare label word when the reply is not JSON', () => {
    expect(parseJudgeVerdict('The answer names another city. WRONG')).toBe('WRONG');
    expect(parseJudgeVerdict('Same date, different format: CORRECT.')).toBe('CORRECT');
  });

  it('finds no verdict in a malformed reply: none, both labels, an unknown label, or INCORRECT', () => {
    expect(parseJudgeVerdict('I cannot tell.')).toBeUndefined();
    expect(parseJudgeVerdict('CORRECT or WRONG?')).toBeUndefined();
    expect(parseJudgeVerdict('{"label": "MAYBE"}')).toBeUndefined();
    expect(parseJudgeVerdict('INCORRECT')).toBeUndefined();
    expect(parseJudgeVerdict(null)).toBeUndefined();
  });
});

describe('the published judge prompt', () => {
  it('is the one the README shows', () => {
    expect(readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')).toContain(`\`\`\`text\n${JUDGE_PROMPT}\n\`\`\``);
  });
});
