import type OpenAI from 'openai';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { createLlmClient, type LlmConfig } from '../llm/client.js';
import { compareRanked, type Classification, type IntentClassifier, type RankedIntent } from './classifier.js';
import type { IntentProfile } from './intent-profile.js';

/** How the LLM classifier is set up. */
export interface LlmClassifierOptions {
  /** The OpenAI-compatible endpoint and chat model. */
  llm: LlmConfig;
  /** The intents to choose from; their descriptions and first examples go into the prompt. */
  profile: IntentProfile;
  /** The offline classifier that answers when the LLM fails; it must know the profile's intents. */
  fallback: IntentClassifier;
  /** Examples per intent shown in the prompt. @default 2 */
  examplesPerIntent?: number;
}

/** The answer the LLM must give. */
const answerSchema = z.object({
  intents: z
    .array(z.object({ label: z.string(), confidence: z.number().min(0).max(1) }))
    .min(1, 'must list at least one intent'),
});

/**
 * Classifies with a chat model through an OpenAI-compatible endpoint, asking for JSON that is
 * validated with zod. Any failure (network, HTTP error, invalid JSON, unknown intent) hands the
 * query to the offline fallback and records why in `fallback`. Confidences are the model's own,
 * normalised to sum to 1; mass it leaves unassigned is shared by the intents it did not name.
 */
export class LlmIntentClassifier implements IntentClassifier {
  readonly name = 'llm';
  readonly labels: readonly string[];
  private readonly client: OpenAI;
  private readonly prompt: string;

  constructor(private readonly options: LlmClassifierOptions) {
    this.labels = options.profile.intents.map((intent) => intent.name);
    const fallbackLabels = new Set(options.fallback.labels);
    const missing = this.labels.filter((label) => !fallbackLabels.has(label));
    if (missing.length > 0 || fallbackLabels.size !== this.labels.length) {
      throw new ConfigError(
        `LLM classifier fallback "${options.fallback.name}" must know exactly the profile's intents (missing: ${missing.join(', ') || 'none'})`,
        `train the fallback on the examples of profile "${options.profile.name}"`,
      );
    }
    const examplesPerIntent = options.examplesPerIntent ?? 2;
    if (!Number.isInteger(examplesPerIntent) || examplesPerIntent < 0) {
      throw new ConfigError(`LLM classifier option examplesPerIntent = ${JSON.stringify(examplesPerIntent)} must be a whole number of 0 or more`, 'pass 2, or 0 for descriptions only');
    }
    this.client = createLlmClient(options.llm);
    this.prompt = systemPrompt(options.profile, examplesPerIntent);
  }

  async classify(text: string): Promise<Classification> {
    let ranked: RankedIntent[];
    try {
      ranked = this.rank(await this.ask(text));
    } catch (error) {
      const fallback = await this.options.fallback.classify(text);
      return { ...fallback, fallback: { from: this.name, reason: (error as Error).message } };
    }
    return { ranked, classifier: this.name };
  }

  private async ask(text: string): Promise<string> {
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await this.client.chat.completions.create({
        model: this.options.llm.model,
        temperature: 0,
        response_format: { type: 'json_object' },
        messages: [
          { role: 'system', content: this.prompt },
          { role: 'user', content: text },
        ],
      });
    } catch (error) {
      throw new Error(`LLM request failed: ${(error as Error).message}`);
    }
    const content = completion.choices[0]?.message.content;
    if (!content) throw new Error('LLM answer is empty');
    return content;
  }

  /** The full ranking from the model's JSON answer; throws saying what is wrong with it. */
  private rank(content: string): RankedIntent[] {
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      throw new Error(`LLM answer is not valid JSON (${(error as Error).message})`);
    }
    const parsed = answerSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`LLM answer does not match {"intents":[{"label","confidence"}]}: ${issue.path.join('.') || '(root)'} ${issue.message}`);
    }
    const named = new Map<string, number>();
    for (const { label, confidence } of parsed.data.intents) {
      if (!this.labels.includes(label)) throw new Error(`LLM answer names unknown intent "${label}"`);
      if (!named.has(label)) named.set(label, confidence);
    }
    return fullRanking(this.labels, named);
  }
}

/** Every label with a confidence: stated ones scaled to sum to 1 when they reach 1, else the rest share what is left. */
function fullRanking(labels: readonly string[], named: ReadonlyMap<string, number>): RankedIntent[] {
  const total = [...named.values()].reduce((sum, value) => sum + value, 0);
  const unnamed = labels.length - named.size;
  const confidence = (label: string): number => {
    const stated = named.get(label);
    if (total === 0) return 1 / labels.length;
    if (total >= 1 || unnamed === 0) return (stated ?? 0) / total;
    return stated ?? (1 - total) / unnamed;
  };
  return labels.map((label) => ({ label, confidence: confidence(label) })).sort(compareRanked);
}

function systemPrompt(profile: IntentProfile, examplesPerIntent: number): string {
  const intents = profile.intents.map((intent) => {
    const examples = intent.examples.slice(0, examplesPerIntent).map((example) => JSON.stringify(example));
    return `- ${intent.name}: ${intent.description}${examples.length > 0 ? ` (e.g. ${examples.join('; ')})` : ''}`;
  });
  return [
    `You route customer-service messages for ${profile.name}. Pick the intents the customer's message expresses from this list:`,
    ...intents,
    'Answer with JSON only, in the form {"intents":[{"label":"<intent name>","confidence":<0..1>}]}, listing up to three',
    'intents from the list, most likely first, with confidences that sum to at most 1.',
  ].join('\n');
}
