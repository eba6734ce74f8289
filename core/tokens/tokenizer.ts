import { createRequire } from 'node:module';
import type { EncodingName } from './encodings.js';
import { ConfigError } from '../errors.js';
import { heapBpe, longestRun, LONG_RUN_CHARS } from './long-pieces.js';

/** An exact BPE tokenizer for one encoding. Special-token strings in the input are plain text. */
export interface Tokenizer {
  readonly encoding: EncodingName;
  readonly backend: TokenizerBackend;
  encode(text: string): number[];
  decode(tokens: readonly number[]): string;
  count(text: string): number;
}

/**
 * gpt-tokenizer is the default (faster; texts with a run of 1,000+ characters go to ctxbench's
 * O(n log n) merge, since both libraries grow about 4x per doubling of such a run: README,
 * Benchmarks); js-tiktoken is the cross-check, the library as published.
 */
export const TOKENIZER_BACKENDS = ['gpt-tokenizer', 'js-tiktoken'] as const;
export type TokenizerBackend = (typeof TOKENIZER_BACKENDS)[number];

// Loaded lazily and synchronously: each encoding's rank table costs tens of milliseconds to parse,
// so a process that only needs o200k_base never pays for cl100k_base.
const require = createRequire(import.meta.url);
const loaded = new Map<string, Tokenizer>();

interface GptTokenizerModule {
  encode(text: string, options?: { disallowedSpecial?: Set<string> }): number[];
  decode(tokens: Iterable<number>): string;
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
}

const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

function loadGptTokenizer(encoding: EncodingName): Tokenizer {
  const api = require(`gpt-tokenizer/cjs/encoding/${encoding}`) as GptTokenizerModule;
  // gpt-tokenizer decodes through one module-wide streaming TextDecoder, so the bytes of a
  // character cut in half by one decode() leak into the next call as U+FFFD; flush after each.
  const { decoder } = require('gpt-tokenizer/cjs/BytePairEncodingCore') as { decoder: { decode(): string } };
  // gpt-tokenizer keys its ranks by decoding each token's bytes with a TextDecoder that drops a
  // leading byte-order mark, so every token containing U+FEFF (EF BB BF) is lost: U+FEFF comes out
  // as [5416, 123] in o200k_base where tiktoken, the reference, and js-tiktoken give [5574]. Text
  // with U+FEFF goes to js-tiktoken (loaded only then), so both backends give tiktoken's ids.
  // A text with a long run (a pasted blob, a line of 100,000 "=") may hold a pre-token the
  // library merges in O(n^2): such texts go to the heap merge (exact, O(n log n); long-pieces.ts).
  const exact = (text: string) =>
    text.length >= LONG_RUN_CHARS && longestRun(text) >= LONG_RUN_CHARS ? heapBpe(encoding) : text.includes('\uFEFF') ? getTokenizer(encoding, 'js-tiktoken') : undefined;
  return {
    encoding,
    backend: 'gpt-tokenizer',
    encode: (text) => exact(text)?.encode(text) ?? api.encode(text, PLAIN_TEXT),
    decode: (tokens) => {
      const text = api.decode(tokens);
      decoder.decode();
      return text;
    },
    count: (text) => exact(text)?.encode(text).length ?? api.countTokens(text, PLAIN_TEXT),
  };
}

function loadJsTiktoken(encoding: EncodingName): Tokenizer {
  const { Tiktoken } = require('js-tiktoken/lite') as typeof import('js-tiktoken/lite');
  const ranks = require(`js-tiktoken/ranks/${encoding}`) as { default?: unknown } & Record<string, unknown>;
  const tiktoken = new Tiktoken((ranks.default ?? ranks) as ConstructorParameters<typeof Tiktoken>[0]);
  return {
    encoding,
    backend: 'js-tiktoken',
    encode: (text) => tiktoken.encode(text, [], []),
    decode: (tokens) => tiktoken.decode([...tokens]),
    count: (text) => tiktoken.encode(text, [], []).length,
  };
}

/** The shared tokenizer for an encoding and backend; loaded once per process and reused. */
export function getTokenizer(encoding: EncodingName, backend: TokenizerBackend = 'gpt-tokenizer'): Tokenizer {
  const key = `${backend}:${encoding}`;
  let tokenizer = loaded.get(key);
  if (!tokenizer) {
    if (backend === 'gpt-tokenizer') tokenizer = loadGptTokenizer(encoding);
    else if (backend === 'js-tiktoken') tokenizer = loadJsTiktoken(encoding);
    else throw new ConfigError(`unknown tokenizer backend "${String(backend)}"`, `use one of: ${TOKENIZER_BACKENDS.join(', ')}`);
    loaded.set(key, tokenizer);
  }
  return tokenizer;
}
