/**
 * Normalizes text for presence checks: lowercase, every run of non-alphanumeric characters
 * becomes one space. "2024-05-20" and "2024/05/20" both become "2024 05 20".
 */
export function normalizeForMatch(text: string): string {
  return ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;
}

/** Whether `needle` occurs in `haystack` as whole normalized words. */
export function containsNormalized(normalizedHaystack: string, needle: string): boolean {
  const normalizedNeedle = normalizeForMatch(needle);
  return normalizedNeedle.trim().length > 0 && normalizedHaystack.includes(normalizedNeedle);
}
