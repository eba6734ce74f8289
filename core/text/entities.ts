/** Kinds of key entity that truncation, compression and summaries try hardest to keep. */
export type EntityKind = 'email' | 'phone' | 'amount' | 'date' | 'identifier';

/** A key entity found in text. */
export interface Entity {
  kind: EntityKind;
  value: string;
}

const MONTH = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?';

const PATTERNS: ReadonlyArray<readonly [EntityKind, RegExp]> = [
  ['email', /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g],
  ['phone', /(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b/g],
  ['amount', /[$€£]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:usd|eur|gbp|dollars?|euros?)\b/gi],
  [
    'date',
    new RegExp(
      [
        '\\b\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2})?)?\\b',
        '\\b\\d{1,2}/\\d{1,2}/\\d{2,4}\\b',
        `\\b${MONTH}\\s+\\d{1,2}(?:st|nd|rd|th)?(?:,?\\s+\\d{4})?\\b`,
        `\\b\\d{1,2}(?:st|nd|rd|th)?\\s+${MONTH}(?:,?\\s+\\d{4})?\\b`,
      ].join('|'),
      'gi',
    ),
  ],
  [
    'identifier',
    new RegExp(
      [
        '#\\d{3,}\\b', // order #12345
        '\\b[A-Z]{2,}[-_]\\d{2,}[A-Z0-9-]*\\b', // ORD-1234, INV_2024_17
        '\\b(?=[A-Z0-9]*\\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{5,}\\b', // reservation codes ZFA04Y, flights HAT170
        '\\b[a-z]+(?:_[a-z]+)*_\\d+\\b', // user ids mia_li_3668
      ].join('|'),
      'g',
    ),
  ],
];

/** Every key entity in `text`, in order of kind, then of appearance. */
export function findEntities(text: string): Entity[] {
  const entities: Entity[] = [];
  for (const [kind, pattern] of PATTERNS) {
    for (const match of text.matchAll(pattern)) entities.push({ kind, value: match[0].trim() });
  }
  return entities;
}

/** How many key entities `text` carries; cheap enough to call per sentence. */
export function countEntities(text: string): number {
  let count = 0;
  for (const [, pattern] of PATTERNS) {
    pattern.lastIndex = 0;
    while (pattern.exec(text) !== null) count++;
  }
  return count;
}
