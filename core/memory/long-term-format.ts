import { readdirSync } from 'node:fs';
import { z } from 'zod';
import { MEMORY_TYPES, type MemoryType } from './types.js';

/** What a stored memory must look like, on input and on disk. */
export const inputSchema = z.object({
  userId: z.string().min(1, 'must not be empty'),
  content: z.string().refine((text) => text.trim() !== '', 'must not be blank'),
  type: z.enum(MEMORY_TYPES as [MemoryType, ...MemoryType[]]),
  importance: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.5),
  createdAt: z.union([z.date(), z.string()]).refine((value) => !Number.isNaN(new Date(value).getTime()), 'must be an ISO 8601 date').optional(),
  metadata: z.record(z.string(), z.unknown()).default({}),
});

/** The long-term memory's files: `current.json` names the live generation, `gen-N/` holds it. */
export const FORMAT = 'ctxbench-long-term-memory';
export const CURRENT_FILE = 'current.json';
export const MEMORIES_FILE = 'memories.json';
export const currentSchema = z.object({ format: z.literal(FORMAT), version: z.literal(1), generation: z.number().int().positive() });
const memorySchema = inputSchema.extend({ id: z.string().min(1), createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() });
export const savedSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  nextId: z.number().int().positive(),
  users: z.array(z.object({ userId: z.string().min(1), vectors: z.string().regex(/^u\d+$/) })),
  memories: z.array(memorySchema),
});

export function generationsIn(directory: string): number[] {
  return readdirSync(directory).flatMap((name) => /^gen-(\d+)$/.exec(name)?.[1] ?? []).map(Number);
}
