/** Base class of every error ctxbench throws on purpose; `code` is stable and machine-readable. */
export class CtxbenchError extends Error {
  readonly code: string;
  readonly hint?: string;

  constructor(code: string, message: string, hint?: string) {
    super(hint ? `${message}\n  fix: ${hint}` : message);
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
  }
}

/** A configuration value (profile, option, model name) is invalid. */
export class ConfigError extends CtxbenchError {
  constructor(message: string, hint?: string) {
    super('E_CONFIG', message, hint);
  }
}

/** Input data handed to a public function has the wrong shape. */
export class InputError extends CtxbenchError {
  constructor(message: string, hint?: string) {
    super('E_INPUT', message, hint);
  }
}

/** Suggests the closest known names for an unknown one ("did you mean ...?"). */
export function didYouMean(name: string, known: readonly string[]): string {
  const ranked = [...known]
    .map((candidate) => ({ candidate, distance: editDistance(name.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ candidate, distance }) => distance <= Math.max(2, Math.floor(candidate.length / 3)))
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate));
  // A name cut short (cached for cachedTokens) is too many edits away, but names the key it starts.
  const longer = name.length >= 3 ? known.find((candidate) => candidate.toLowerCase().startsWith(name.toLowerCase())) : undefined;
  const best = ranked[0]?.candidate ?? longer;
  const suggestion = best !== undefined ? `did you mean "${best}"? ` : '';
  return `${suggestion}available: ${known.join(', ')}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Recorded input data is malformed: names the file, the record, the field and what was expected. */
export class DataError extends CtxbenchError {
  constructor(
    readonly file: string,
    readonly record: string,
    readonly field: string,
    readonly expected: string,
    got?: unknown,
    hint = 'correct or remove that record, or set the dataset option lenient to true to skip malformed records (config: { name, options: { lenient: true } }; command line: -d <dataset>:lenient=true)',
  ) {
    const seen = got === undefined ? '' : `, got ${describeValue(got)}`;
    super('E_DATA', `${file}: ${record}: ${field} ${expected}${seen}`, hint);
  }
}

/** A short, safe description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}
