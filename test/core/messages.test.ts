import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepFreeze, isDeepFrozen, TokenCounter, type ToolDefinition } from '../../core/index.js';

const tool = (): ToolDefinition => ({
  type: 'function',
  function: { name: 'cancel', description: 'Cancel a booking', parameters: { type: 'object', properties: { id: { type: 'string', enum: ['a', 'b'] } } } },
});

describe('deep freezing', () => {
  it('freezes every object a value holds, and says so', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const frozen = deepFreeze(structuredClone(value));
        expect(isDeepFrozen(frozen)).toBe(true);
      }),
    );
  });

  it('does not call a value deeply frozen when a nested object can still change', () => {
    const definition = tool();
    Object.freeze(definition);
    Object.freeze(definition.function);
    expect(isDeepFrozen(definition)).toBe(false);
    expect(isDeepFrozen(deepFreeze(definition))).toBe(true);
    expect(() => {
      'use strict';
      (definition.function.parameters!.properties as Record<string, { enum: string[] }>).id!.enum.push('c');
    }).toThrow(TypeError);
  });

  it('counts a frozen tool definition as a fresh counter does, every time', () => {
    const counter = new TokenCounter();
    const frozen = deepFreeze(tool());
    const expected = new TokenCounter().countTool(tool());
    expect(counter.countTool(frozen)).toBe(expected);
    expect(counter.countTool(frozen)).toBe(expected);
  });
});
