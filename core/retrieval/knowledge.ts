import type { KnowledgeDocument } from '../harness/episode.js';
import { splitSentences } from '../text/segment.js';
import type { TokenCounter } from '../tokens/counter.js';
import { HashingEmbedder } from '../memory/embedding.js';
import { HybridIndex } from '../memory/hybrid.js';
import { DEFAULT_MEMORY_FUSION } from '../memory/long-term.js';
import { ExactVectorStore } from '../memory/vector-store.js';

/** A retrievable piece of knowledge: a paragraph-sized chunk of a document. */
export interface KnowledgeChunk {
  id: string;
  documentId: string;
  text: string;
}

/** Chunks are about this many tokens: small enough to rank precisely, large enough to read. */
export const CHUNK_TOKENS = 220;

/** Splits documents into paragraph-sized chunks (about {@link CHUNK_TOKENS} tokens), never mid-sentence. */
export function chunkDocuments(documents: readonly KnowledgeDocument[], counter: TokenCounter): KnowledgeChunk[] {
  return documents.flatMap((doc) => {
    const pieces: string[] = [];
    let current = '';
    const paragraphs = doc.text.split(/\n{2,}/).flatMap((paragraph) => (counter.count(paragraph) > CHUNK_TOKENS ? splitSentences(paragraph) : [paragraph]));
    for (const piece of paragraphs) {
      if (current && counter.count(current) + counter.count(piece) > CHUNK_TOKENS) {
        pieces.push(current);
        current = '';
      }
      current = current ? `${current}\n\n${piece}` : piece;
    }
    if (current.trim()) pieces.push(current);
    return pieces.map((text, i) => ({ id: `${doc.id}#${i}`, documentId: doc.id, text: `${doc.title}: ${text.trim()}` }));
  });
}

/** Options of a {@link KnowledgeBase}. */
export interface KnowledgeBaseOptions {
  /** Embeds chunks for the dense half of the hybrid search; fitted on the chunks. @default new HashingEmbedder() */
  embedder?: HashingEmbedder;
}

/**
 * Knowledge documents chunked and indexed once, then searched per query (policy sections,
 * guidelines by flow and subflow, a knowledge base) through the memory tier's hybrid index: BM25
 * and cosine over the chunks, fused. Read-only after construction, so one instance may serve many
 * conversations at once.
 */
export class KnowledgeBase {
  readonly chunks: ReadonlyMap<string, KnowledgeChunk>;
  private readonly documents: ReadonlyMap<string, KnowledgeDocument>;
  private readonly index: HybridIndex;
  private readonly embedder: HashingEmbedder;

  constructor(documents: readonly KnowledgeDocument[], counter: TokenCounter, options: KnowledgeBaseOptions = {}) {
    const chunks = chunkDocuments(documents, counter);
    this.embedder = options.embedder ?? new HashingEmbedder().fit(chunks.map((chunk) => chunk.text));
    this.index = new HybridIndex(new ExactVectorStore({ embedderId: this.embedder.id, dimension: this.embedder.dimension }), DEFAULT_MEMORY_FUSION);
    this.index.add(chunks.map((chunk) => ({ id: chunk.id, text: chunk.text, vector: this.embedder.embedText(chunk.text) })));
    this.chunks = new Map(chunks.map((chunk) => [chunk.id, chunk]));
    this.documents = new Map(documents.map((doc) => [doc.id, doc]));
  }

  /** The best chunks for the query, best first, with their fused relevance (0..1). */
  search(query: string, k: number, filter?: (document: KnowledgeDocument) => boolean): Array<KnowledgeChunk & { score: number }> {
    if (query.trim() === '') return [];
    const accept = filter ? (id: string) => filter(this.documents.get(this.chunks.get(id)!.documentId)!) : undefined;
    return this.index
      .search({ text: query, vector: this.embedder.embedText(query), k, ...(accept ? { filter: accept } : {}) })
      .map((hit) => ({ ...this.chunks.get(hit.id)!, score: hit.relevance }));
  }

  /** Documents whose metadata matches every given key, in their original order. */
  documentsWhere(metadata: Record<string, unknown>): KnowledgeDocument[] {
    return [...this.documents.values()].filter((doc) => Object.entries(metadata).every(([key, value]) => doc.metadata?.[key] === value));
  }

  document(id: string): KnowledgeDocument | undefined {
    return this.documents.get(id);
  }
}

/** One knowledge base per document array, built on first use; episodes sharing the array share it. */
export class KnowledgeBaseCache {
  private readonly built = new WeakMap<readonly KnowledgeDocument[], KnowledgeBase>();

  constructor(private readonly counter: TokenCounter) {}

  get(documents: readonly KnowledgeDocument[]): KnowledgeBase {
    let base = this.built.get(documents);
    if (!base) {
      base = new KnowledgeBase(documents, this.counter);
      this.built.set(documents, base);
    }
    return base;
  }
}
