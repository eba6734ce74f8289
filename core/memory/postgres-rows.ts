import pgvector from 'pgvector';
import type { Memory, MemoryType } from './types.js';

/** A row of the memory table as the store selects it ({@link MEMORY_COLUMNS}). */
export interface MemoryRow {
  id: string;
  user_id: string;
  type: MemoryType;
  content: string;
  importance: number;
  created_at: Date | string;
  updated_at: Date | string;
  metadata: Record<string, unknown>;
}

/** The select list of a {@link MemoryRow}; the id as text, since a bigint exceeds a JS number. */
export const MEMORY_COLUMNS = 'id::text AS id, user_id, type, content, importance, created_at, updated_at, metadata';

/** A vector as pgvector's text input. */
export function vectorSql(vector: Float32Array): string {
  return pgvector.toSql(Array.from(vector))!;
}

/** The row id of a memory id (`m` and the row's id); undefined for an id no row can have. */
export function rowId(id: string): string | undefined {
  // A bigint identity: at most 9223372036854775807 (19 digits; larger ones PostgreSQL refuses to compare).
  if (!/^m[1-9]\d{0,18}$/.test(id)) return undefined;
  return BigInt(id.slice(1)) <= 9223372036854775807n ? id.slice(1) : undefined;
}

export function memoryOf(row: MemoryRow): Memory {
  return {
    id: `m${row.id}`,
    userId: row.user_id,
    content: row.content,
    type: row.type,
    importance: Number(row.importance),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    metadata: row.metadata,
  };
}
