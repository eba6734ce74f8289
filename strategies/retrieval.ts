import { LexicalIndex, messageToText, splitSentences, type ChatMessage, type KnowledgeDocument, type LexicalHit, type TokenCounter } from '../core/index.js';

/** A retrievable piece of knowledge: a paragraph-sized chunk of a document. */
export interface KnowledgeChunk {
  id: string;
  documentId: string;
  text: string;
}

const CHUNK_TOKENS = 220;

/** Splits documents into paragraph-sized chunks (about 220 tokens), never mid-sentence. */
export function chunkDocuments(documents: readonly KnowledgeDocument[], counter: TokenCounter): KnowledgeChunk[] {
  return documents.flatMap((doc) => {
    const pieces: string[] = [];
    let current = '';
    for (const sentence of doc.text.split(/\n{2,}/).flatMap((paragraph) => (counter.count(paragraph) > CHUNK_TOKENS ? splitSentences(paragraph) : [paragraph]))) {
      if (current && counter.count(current) + counter.count(sentence) > CHUNK_TOKENS) {
        pieces.push(current);
        current = '';
      }
      current = current ? `${current}\n\n${sentence}` : sentence;
    }
    if (current.trim()) pieces.push(current);
    return pieces.map((text, i) => ({ id: `${doc.id}#${i}`, documentId: doc.id, text: `${doc.title}: ${text.trim()}` }));
  });
}

/** Chunks and indexes a knowledge collection once; later episodes sharing the same array reuse it. */
export class KnowledgeIndexCache {
  private readonly built = new WeakMap<readonly KnowledgeDocument[], { chunks: Map<string, KnowledgeChunk>; index: LexicalIndex }>();

  constructor(private readonly counter: TokenCounter) {}

  get(documents: readonly KnowledgeDocument[]): { chunks: Map<string, KnowledgeChunk>; index: LexicalIndex } {
    let entry = this.built.get(documents);
    if (!entry) {
      const chunks = chunkDocuments(documents, this.counter);
      const index = new LexicalIndex();
      index.add(chunks);
      entry = { chunks: new Map(chunks.map((chunk) => [chunk.id, chunk])), index };
      this.built.set(documents, entry);
    }
    return entry;
  }
}

/** An episode's history, indexed unit by unit as it grows (append-only). */
export class HistoryIndex {
  private readonly index = new LexicalIndex();
  private indexed = 0;

  /** Indexes the units not seen yet; unit ids are their positions. */
  sync(units: readonly ChatMessage[][]): void {
    const fresh = units.slice(this.indexed).map((unit, i) => ({ id: String(this.indexed + i), text: unit.map(messageToText).join('\n') }));
    if (fresh.length > 0) this.index.add(fresh);
    this.indexed = units.length;
  }

  /** The best units before `before` for the query. */
  search(query: string, k: number, before: number): LexicalHit[] {
    return this.index.search(query, k, (id) => Number(id) < before);
  }
}

/** Reciprocal rank fusion of several ranked lists (k = 60), stable for equal scores. */
export function fuseRanks<T extends { id: string }>(lists: ReadonlyArray<readonly T[]>, k = 60): T[] {
  const scored = new Map<string, { item: T; score: number; first: number }>();
  let order = 0;
  for (const list of lists) {
    list.forEach((item, rank) => {
      const entry = scored.get(item.id) ?? { item, score: 0, first: order++ };
      entry.score += 1 / (k + rank + 1);
      scored.set(item.id, entry);
    });
  }
  return [...scored.values()].sort((a, b) => b.score - a.score || a.first - b.first).map((entry) => entry.item);
}
