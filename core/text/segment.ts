// Intl.Segmenter implements Unicode UAX #29 (sentences and grapheme clusters), so emoji,
// combining marks, abbreviations and non-Latin punctuation are handled by ICU, not by regexes.
const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
const graphemeSegmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

// V8's sentence segmenter slows down superlinearly on long strings (200,000 characters took
// over a second, 100x the time of 25,000), so long text is segmented in windows.
const SENTENCE_WINDOW = 4096;

/** Splits text into sentences; joining the result gives back the input exactly (whitespace included). */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  let position = 0;
  while (position < text.length) {
    const end = Math.min(text.length, position + SENTENCE_WINDOW);
    const window = Array.from(sentenceSegmenter.segment(text.slice(position, end)), ({ segment }) => segment);
    // The window's last sentence may continue past its end: segment it again with what follows.
    const complete = end === text.length || window.length === 1 ? window : window.slice(0, -1);
    for (const sentence of complete) {
      sentences.push(sentence);
      position += sentence.length;
    }
  }
  return sentences;
}

/** The largest grapheme boundary at or before `index`. */
export function graphemeBoundaryAtOrBefore(text: string, index: number): number {
  if (index <= 0) return 0;
  if (index >= text.length) return text.length;
  const containing = graphemeSegmenter.segment(text).containing(index);
  return containing ? containing.index : index;
}

/** The smallest grapheme boundary at or after `index`. */
export function graphemeBoundaryAtOrAfter(text: string, index: number): number {
  if (index <= 0) return 0;
  if (index >= text.length) return text.length;
  const containing = graphemeSegmenter.segment(text).containing(index);
  if (!containing || containing.index === index) return index;
  return containing.index + containing.segment.length;
}

/** Splits text into user-perceived characters (grapheme clusters). */
export function graphemes(text: string): string[] {
  return Array.from(graphemeSegmenter.segment(text), ({ segment }) => segment);
}
