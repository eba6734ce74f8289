import type { TokenCounter } from '../tokens/counter.js';
import { countEntities } from '../text/entities.js';
import { splitSentences } from '../text/segment.js';
import { tokenExactCut, type KeepEnd } from './truncate.js';

/** What a compressor knows about the section it compresses. */
export interface CompressionContext {
  counter: TokenCounter;
  /** 'end' for conversations (recent matters most), 'start' for documents. */
  keep: KeepEnd;
  /**
   * Whole sentences only: when no sentence fits, return '' rather than a token-exact cut of one.
   * A running summary wants this (a cut such as "24" is noise every later call pays for); a
   * section that must show something of its content does not. @default false
   */
  wholeSentences?: boolean;
}

/**
 * Shrinks a section's content to at most `targetTokens` tokens while keeping its meaning.
 * Synchronous on purpose: overflow handling runs inside `build()`; LLM summarization belongs
 * upstream (working-memory compaction) where it can be awaited.
 */
export interface Compressor {
  readonly name: string;
  compress(text: string, targetTokens: number, context: CompressionContext): string;
}

const STOPWORDS = new Set(
  'a an and are as at be but by for from has have he her his i in is it its me my of on or our she so that the their them they this to was we were what when which who will with you your'.split(' '),
);

/**
 * Offline extractive compression: scores every sentence by the key entities it carries,
 * by how many of the text's recurring content words it mentions, and by position
 * (recent for conversations, early for documents), then keeps the best sentences that
 * fit, in their original order.
 */
export class ExtractiveCompressor implements Compressor {
  readonly name = 'extractive';

  compress(text: string, targetTokens: number, { counter, keep, wholeSentences = false }: CompressionContext): string {
    if (counter.count(text) <= targetTokens) return text;
    if (targetTokens <= 0) return '';
    const sentences = splitSentences(text);
    const frequency = new Map<string, number>();
    const wordsOf = sentences.map((sentence) => contentWords(sentence));
    for (const words of wordsOf) for (const word of new Set(words)) frequency.set(word, (frequency.get(word) ?? 0) + 1);

    const salience = wordsOf.map((words) => words.reduce((sum, word) => sum + Math.log1p((frequency.get(word) ?? 1) - 1), 0) / Math.sqrt(words.length + 1));
    const maxSalience = Math.max(1e-9, ...salience);
    // Entities dominate (2 per entity), then recurring topic words and position (each at most 1).
    const scored = sentences.map((sentence, index) => {
      const position = sentences.length <= 1 ? 1 : keep === 'end' ? index / (sentences.length - 1) : 1 - index / (sentences.length - 1);
      const score = 2 * countEntities(sentence) + salience[index]! / maxSalience + position;
      return { index, sentence, tokens: counter.count(sentence), score };
    });
    const ranked = [...scored].sort((a, b) => b.score - a.score || a.index - b.index);

    const chosen: typeof scored = [];
    let used = 0;
    for (const candidate of ranked) {
      if (candidate.sentence.trim() === '' || used + candidate.tokens > targetTokens) continue;
      chosen.push(candidate);
      used += candidate.tokens;
    }
    while (chosen.length > 0) {
      const kept = [...chosen].sort((a, b) => a.index - b.index).map((s) => s.sentence).join('');
      if (counter.count(kept) <= targetTokens) return kept;
      chosen.pop();
    }
    return wholeSentences ? '' : tokenExactCut(text, targetTokens, counter, keep).text;
  }
}

function contentWords(sentence: string): string[] {
  return (sentence.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((word) => word.length > 2 && !STOPWORDS.has(word));
}
