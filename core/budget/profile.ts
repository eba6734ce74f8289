import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { deepFreeze } from '../messages.js';
import { firstIssue } from '../validation.js';

/** How a section is cut: conversations keep their most recent content, documents their beginning. */
export type SectionKind = 'conversation' | 'document';

/** One section's allocation in a budget profile. */
export interface SectionAllocation {
  name: string;
  /** Most tokens the section's content may take. */
  budget: number;
  /** 1 = never truncate ... 5 = first to go. */
  priority: 1 | 2 | 3 | 4 | 5;
  /** Whether overflow handling may compress the section. @default true */
  compressible: boolean;
  /** @default 'document' */
  kind: SectionKind;
  /** Chat role of the section in the message form of the context. @default 'system' */
  role: 'system' | 'user';
}

/** A budget profile: the total context budget and the sections in the order they are assembled. */
export interface BudgetProfile {
  name: string;
  total: number;
  sections: SectionAllocation[];
}

/** Input form of a profile: `compressible`, `kind` and `role` may be left out. */
export type BudgetProfileInput = {
  name?: string;
  total: number;
  sections: Array<Pick<SectionAllocation, 'name' | 'budget' | 'priority'> & Partial<SectionAllocation>>;
};

const sectionSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case: lowercase letters, digits and underscores'),
    budget: z.number().int('must be a whole number of tokens').nonnegative('must be zero or more tokens'),
    priority: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)], {
      error: 'must be 1 (never truncate) to 5 (first to go)',
    }),
    compressible: z.boolean().default(true),
    kind: z.enum(['conversation', 'document']).default('document'),
    role: z.enum(['system', 'user']).default('system'),
  })
  .strict();

const profileSchema = z
  .object({
    name: z.string().min(1).default('custom'),
    total: z.number().int('must be a whole number of tokens').positive('must be more than zero tokens'),
    sections: z.array(sectionSchema).min(1, 'must list at least one section'),
  })
  .strict();

/** Validates a profile at the edge; errors name the key, the value and the fix. */
export function defineProfile(input: BudgetProfileInput): BudgetProfile {
  // A profile this function returned is valid and frozen: a budget built per turn from it is not re-validated.
  if (defined.has(input as BudgetProfile)) return input as BudgetProfile;
  const parsed = profileSchema.safeParse(input);
  if (!parsed.success) {
    const issue = firstIssue(input, parsed.error);
    throw new ConfigError(
      `invalid budget profile: ${issue.key} = ${JSON.stringify(issue.value) ?? 'undefined'} ${issue.problem}`,
      'correct that value in the profile (see TECHCORP_PROFILE for a complete example)',
    );
  }
  const profile = parsed.data as BudgetProfile;
  const seen = new Set<string>();
  for (const section of profile.sections) {
    if (seen.has(section.name)) {
      throw new ConfigError(`invalid budget profile: section "${section.name}" is listed twice`, 'give each section one allocation');
    }
    seen.add(section.name);
  }
  // Frozen: a profile is shared (TECHCORP_PROFILE is every default budget's), so one caller's edit must not change another's budget.
  defined.add(profile);
  return deepFreeze(profile);
}

/** The profiles {@link defineProfile} returned. */
const defined = new WeakSet<BudgetProfile>();

/** The lab design's TechCorp profile: 8,000 tokens, leaving room for the reply. */
export const TECHCORP_PROFILE: BudgetProfile = defineProfile({
  name: 'techcorp',
  total: 8000,
  sections: [
    { name: 'system_prompt', budget: 500, priority: 1, compressible: false },
    { name: 'user_profile', budget: 200, priority: 2, compressible: false },
    { name: 'conversation_summary', budget: 500, priority: 2, compressible: true, kind: 'conversation' },
    { name: 'retrieved_context', budget: 3000, priority: 3, compressible: true },
    { name: 'recent_messages', budget: 2000, priority: 1, compressible: false, kind: 'conversation' },
    { name: 'tool_results', budget: 1000, priority: 2, compressible: true, kind: 'conversation' },
    { name: 'current_query', budget: 500, priority: 1, compressible: false, role: 'user' },
  ],
});
