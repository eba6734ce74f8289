import { z } from 'zod';
import { parseConfig, type ClassifierFallback, type IntentClassifier, type RankedIntent } from './classifier.js';

/** What the router does when the top intent's confidence is below the threshold. */
export type LowConfidencePolicy = 'fallback' | 'top-two';

/** How a query was routed. */
export type RoutingDecision = 'confident' | LowConfidencePolicy;

/** How the router decides. */
export interface IntentRouterOptions {
  classifier: IntentClassifier;
  /** Lowest top confidence that is routed to the top intent alone. @default 0.5 */
  threshold?: number;
  /**
   * Below the threshold: `fallback` routes to the general `fallbackIntent`; `top-two` routes to
   * the two most likely intents, so the assembler loads the context of both. @default 'fallback'
   */
  lowConfidence?: LowConfidencePolicy;
  /** The general intent of the `fallback` policy, e.g. the profile's `fallbackIntent`. */
  fallbackIntent?: string;
  /** Ranked candidates kept in the trace. @default 5 */
  candidates?: number;
}

/** Everything the router decided for one query, for the assembler to record. */
export interface RoutingTrace {
  query: string;
  /** The intents whose context to load, most likely first. */
  intents: string[];
  decision: RoutingDecision;
  /** The top intent's confidence. */
  confidence: number;
  threshold: number;
  /** The most likely intents with their confidences, best first. */
  candidates: RankedIntent[];
  /** The classifier that produced the ranking. */
  classifier: string;
  /** Set when the classifier fell back to another one, saying why. */
  fallback?: ClassifierFallback;
}

const optionsSchema = z
  .object({
    classifier: z.custom<IntentClassifier>((value) => typeof (value as IntentClassifier | null)?.classify === 'function', 'must be an IntentClassifier'),
    threshold: z.number().min(0, 'must be a confidence from 0 to 1, e.g. 0.5').max(1, 'must be a confidence from 0 to 1, e.g. 0.5').default(0.5),
    lowConfidence: z.enum(['fallback', 'top-two'], { error: 'must be "fallback" or "top-two"' }).default('fallback'),
    fallbackIntent: z.string().min(1, 'must name the general intent').optional(),
    candidates: z.number().int('must be a whole number').min(2, 'must keep at least 2 candidates').default(5),
  })
  .strict()
  .refine((options) => options.lowConfidence !== 'fallback' || options.fallbackIntent !== undefined, {
    path: ['fallbackIntent'],
    message: 'is required by the "fallback" policy (pass the profile\'s general intent, or use lowConfidence: "top-two")',
  });

/** Routes queries to intents, handling low confidence on purpose and tracing every decision. */
export class IntentRouter {
  private readonly options: z.output<typeof optionsSchema>;

  constructor(options: IntentRouterOptions) {
    this.options = parseConfig(optionsSchema, options, 'intent router options', 'for example { classifier, threshold: 0.5, lowConfidence: "fallback", fallbackIntent: "general_question" }');
  }

  async route(query: string): Promise<RoutingTrace> {
    const { threshold, lowConfidence, fallbackIntent } = this.options;
    const classification = await this.options.classifier.classify(query);
    const [top, second] = classification.ranked;
    const confidence = top?.confidence ?? 0;
    const decision: RoutingDecision = top && confidence >= threshold ? 'confident' : lowConfidence;
    const intents = decision === 'confident' ? [top!.label] : decision === 'fallback' ? [fallbackIntent!] : [top, second].flatMap((intent) => (intent ? [intent.label] : []));
    return {
      query,
      intents,
      decision,
      confidence,
      threshold,
      candidates: classification.ranked.slice(0, this.options.candidates),
      classifier: classification.classifier,
      ...(classification.fallback ? { fallback: classification.fallback } : {}),
    };
  }
}
