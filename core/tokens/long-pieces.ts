import { createRequire } from 'node:module';
import type { EncodingName } from './encodings.js';

/**
 * A text with a run of this many characters of one pre-token class ({@link longestRun}) may hold
 * a pre-token long enough for the libraries' BPE merge to be slow: both rescan every pair after
 * every merge, O(n^2) in the pre-token's length, about 4x per doubling (20,000 characters without
 * spaces took 0.22 s in gpt-tokenizer, 100,000 about 8 s). A pre-token of cl100k_base or
 * o200k_base is at most one character, a run of one class and a run of newlines, so below this
 * every pre-token is under ~2,000 characters (a few milliseconds at worst) and the text goes to
 * the library, which is 2-3x faster than the heap merge on short pre-tokens.
 */
export const LONG_RUN_CHARS = 1_000;

/**
 * Length of the longest run of characters that could be one pre-token: whitespace (regex `\s`),
 * letters, or punctuation, where any other non-ASCII character (a letter, a mark, a dash, an
 * emoji) may extend a run of letters or of punctuation alike, and "\r" and "\n" a run of
 * whitespace or of punctuation. Digits end a run: tiktoken splits them into pre-tokens of at most
 * three. A base64 blob has no long run (its digits and case
 * changes cut it); "=====..." or "xxxx..." does.
 */
export function longestRun(text: string): number {
  let longest = 0;
  let spaces = 0;
  let letters = 0;
  let punctuation = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a)) {
      letters += 1;
      spaces = punctuation = 0;
    } else if (code >= 0x30 && code <= 0x39) {
      spaces = letters = punctuation = 0;
    } else if (code === 0x0a || code === 0x0d) {
      // o200k_base's punctuation pre-token runs on through newlines and "/" (` ?[^\s\p{L}\p{N}]+[\r\n/]*`).
      spaces += 1;
      punctuation += 1;
      letters = 0;
    } else if (isSpace(code)) {
      spaces += 1;
      letters = punctuation = 0;
    } else if (code < 0x80) {
      punctuation += 1;
      spaces = letters = 0;
    } else {
      letters += 1;
      punctuation += 1;
      spaces = 0;
    }
    longest = Math.max(longest, spaces, letters, punctuation);
  }
  return longest;
}

/** `\s` in a JavaScript regex, by UTF-16 code unit. */
function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

interface RankFile {
  pat_str: string;
  bpe_ranks: string;
}

/**
 * Exact BPE (tiktoken's algorithm: merge the adjacent pair of lowest rank, the leftmost of equal
 * ranks, until none is mergeable) with the pairs kept in a heap and the parts in a linked list:
 * O(n log n) in a pre-token's length where the libraries take O(n^2). Same pre-tokenizer pattern
 * and ranks as tiktoken (js-tiktoken's published rank files), so the ids are tiktoken's; the
 * tests compare them with both libraries. Special-token strings are plain text, as in
 * {@link getTokenizer}. Used only for texts with a long run ({@link LONG_RUN_CHARS}): on ordinary
 * text the libraries are faster.
 */
export class HeapBpe {
  private readonly pattern: RegExp;
  /** Token bytes as a latin1 string (one char per byte) -> rank. */
  private readonly ranks = new Map<string, number>();
  private readonly longestToken: number;

  constructor(file: RankFile) {
    this.pattern = new RegExp(file.pat_str, 'gu');
    let longest = 0;
    for (const line of file.bpe_ranks.split('\n')) {
      if (line === '') continue;
      // "<prefix> <first rank> <base64 token> <base64 token> ...", ranks consecutive from the first.
      const [, first, ...tokens] = line.split(' ');
      const offset = Number.parseInt(first!, 10);
      tokens.forEach((token, i) => {
        const bytes = Buffer.from(token, 'base64').toString('latin1');
        this.ranks.set(bytes, offset + i);
        if (bytes.length > longest) longest = bytes.length;
      });
    }
    this.longestToken = longest;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const [piece] of text.matchAll(this.pattern)) {
      const bytes = Buffer.from(piece, 'utf8').toString('latin1');
      const whole = bytes.length <= this.longestToken ? this.ranks.get(bytes) : undefined;
      if (whole !== undefined) ids.push(whole);
      else this.merge(bytes, ids);
    }
    return ids;
  }

  /** Appends the ids of one pre-token (bytes as a latin1 string) to `ids`. */
  private merge(bytes: string, ids: number[]): void {
    const n = bytes.length;
    // Part i starts at byte i until merged away; next/previous link the live parts.
    const next = new Int32Array(n);
    const previous = new Int32Array(n);
    const version = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      previous[i] = i - 1;
    }
    const end = (part: number) => (next[part]! === -1 ? n : next[part]!);
    const heap = new PairHeap();
    const pushPair = (part: number) => {
      const right = next[part]!;
      if (right === -1) return;
      const stop = end(right);
      if (stop - part > this.longestToken) return;
      const rank = this.ranks.get(bytes.slice(part, stop));
      if (rank !== undefined) heap.push(rank, part, version[part]!);
    };
    for (let i = 0; i + 1 < n; i++) pushPair(i);
    for (;;) {
      const top = heap.pop();
      if (top === undefined) break;
      const [, part, stamp] = top;
      // A pair is stale once its left part merged, was merged away, or its right neighbour changed.
      if (version[part] !== stamp) continue;
      const right = next[part]!;
      version[right]! += 1;
      const after = next[right]!;
      next[part] = after;
      if (after !== -1) previous[after] = part;
      version[part]! += 1;
      pushPair(part);
      const before = previous[part]!;
      if (before !== -1) {
        version[before]! += 1;
        pushPair(before);
      }
    }
    for (let part = 0; part !== -1; part = next[part]!) ids.push(this.ranks.get(bytes.slice(part, end(part)))!);
  }
}

/**
 * A binary min-heap of merge candidates ordered by rank, then by start byte: the pair tiktoken
 * merges next is the leftmost of lowest rank. Entries are [rank, start, version].
 */
class PairHeap {
  private readonly items: Array<[number, number, number]> = [];

  push(rank: number, start: number, version: number): void {
    const items = this.items;
    items.push([rank, start, version]);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): [number, number, number] | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
      if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
      if (smallest === i) break;
      [items[i], items[smallest]] = [items[smallest]!, items[i]!];
      i = smallest;
    }
    return top;
  }
}

const before = (a: readonly [number, number, number], b: readonly [number, number, number]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

const require = createRequire(import.meta.url);
const encoders = new Map<EncodingName, HeapBpe>();

/** The heap-merge encoder of an encoding, built on first use (its rank table takes ~0.3 s to read). */
export function heapBpe(encoding: EncodingName): HeapBpe {
  let encoder = encoders.get(encoding);
  if (!encoder) {
    const file = require(`js-tiktoken/ranks/${encoding}`) as { default?: RankFile } & RankFile;
    encoder = new HeapBpe(file.default ?? file);
    encoders.set(encoding, encoder);
  }
  return encoder;
}
