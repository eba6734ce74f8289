import { InputError } from '../errors.js';
import type { TokenCounter } from '../tokens/counter.js';
import { countEntities } from '../text/entities.js';
import { graphemeBoundaryAtOrAfter, graphemeBoundaryAtOrBefore, splitSentences } from '../text/segment.js';

/** Which end of the text survives a cut. */
export type KeepEnd = 'start' | 'end';

/** Result of a truncation: the kept text and its exact token count. */
export interface Truncation {
  text: string;
  tokens: number;
  /** Tokens removed from the input. */
  cutTokens: number;
}

/**
 * Cuts `text` to at most `targetTokens` tokens, preferring whole sentences.
 * Sentences carrying key entities (ids, emails, phones, amounts, dates) are kept first,
 * then the others by closeness to the kept end ('end' keeps recent conversation, 'start'
 * keeps the beginning of a document); kept sentences stay in their original order.
 * When no whole sentence fits, falls back to a token-exact cut on a grapheme boundary.
 */
export function smartTruncate(text: string, targetTokens: number, counter: TokenCounter, keep: KeepEnd = 'start'): Truncation {
  const target = checkedTarget('smartTruncate', targetTokens, keep);
  const tokens = counter.count(text);
  if (tokens <= target) return { text, tokens, cutTokens: 0 };
  if (target === 0) return { text: '', tokens: 0, cutTokens: tokens };

  const sentences = splitSentences(text).map((sentence, index) => ({
    index,
    sentence,
    tokens: counter.count(sentence),
    keyed: countEntities(sentence) > 0,
  }));
  const byCloseness = keep === 'start' ? sentences : [...sentences].reverse();

  // Entity-bearing sentences may be kept from anywhere; the rest stay contiguous from the kept
  // end, so a document never skips a long sentence to keep a short one further away.
  const chosen: typeof sentences = [];
  let used = 0;
  for (const candidate of byCloseness.filter((s) => s.keyed)) {
    if (used + candidate.tokens <= target) {
      chosen.push(candidate);
      used += candidate.tokens;
    }
  }
  for (const candidate of byCloseness) {
    if (candidate.keyed) continue;
    if (used + candidate.tokens > target) break;
    chosen.push(candidate);
    used += candidate.tokens;
  }
  // Joined sentences can tokenize differently from their parts; drop the least preferred until exact.
  while (chosen.length > 0) {
    const kept = [...chosen].sort((a, b) => a.index - b.index).map((s) => s.sentence).join('');
    const keptTokens = counter.count(kept);
    if (keptTokens <= target) return { text: kept, tokens: keptTokens, cutTokens: tokens - keptTokens };
    chosen.pop();
  }
  return tokenExactCut(text, target, counter, keep);
}

/** Keeps the first (or last) `targetTokens` tokens of `text`, never splitting a grapheme. */
export function tokenExactCut(text: string, targetTokens: number, counter: TokenCounter, keep: KeepEnd = 'start'): Truncation {
  const target = checkedTarget('tokenExactCut', targetTokens, keep);
  const tokens = counter.count(text);
  if (tokens <= target) return { text, tokens, cutTokens: 0 };
  const ids = counter.encode(text);
  let kept: string;
  if (keep === 'start') {
    const decoded = counter.decode(ids.slice(0, target));
    let end = graphemeBoundaryAtOrBefore(text, commonPrefixLength(text, decoded));
    kept = text.slice(0, end);
    while (end > 0 && counter.count(kept) > target) {
      end = graphemeBoundaryAtOrBefore(text, end - 1);
      kept = text.slice(0, end);
    }
  } else {
    const decoded = target === 0 ? '' : counter.decode(ids.slice(ids.length - target));
    let start = graphemeBoundaryAtOrAfter(text, text.length - commonSuffixLength(text, decoded));
    kept = text.slice(start);
    while (start < text.length && counter.count(kept) > target) {
      start = graphemeBoundaryAtOrAfter(text, start + 1);
      kept = text.slice(start);
    }
  }
  const keptTokens = counter.count(kept);
  return { text: kept, tokens: keptTokens, cutTokens: tokens - keptTokens };
}

// Decoding a slice of tokens can end inside a multi-byte character (shown as U+FFFD);
// comparing with the original finds the last character that was decoded whole.
function commonPrefixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function commonSuffixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  return i;
}

/**
 * The whole number of tokens to cut to. NaN used to cut everything (Math.max(0, NaN) is NaN, and
 * every comparison with it false) and an unknown `keep` ('middle') kept the end.
 * @throws InputError naming the argument, the value and the fix
 */
function checkedTarget(where: string, targetTokens: number, keep: KeepEnd): number {
  if (typeof targetTokens !== 'number' || Number.isNaN(targetTokens) || targetTokens < 0) {
    throw new InputError(`${where}: targetTokens = ${String(targetTokens)} must be a number of tokens, 0 or more`, 'pass the token budget the text must fit (Infinity keeps it whole)');
  }
  if (keep !== 'start' && keep !== 'end') throw new InputError(`${where}: keep = ${JSON.stringify(keep)} must be 'start' or 'end'`, "'start' keeps the beginning of a document, 'end' the recent end of a conversation");
  return Math.floor(targetTokens);
}
