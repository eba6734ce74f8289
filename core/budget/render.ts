import type { ChatMessage } from '../messages.js';
import type { SectionAllocation } from './profile.js';

/** A section as rendered: its allocation and current content. */
export interface RenderedSection {
  allocation: SectionAllocation;
  content: string;
}

/** Separator between sections in the text form of a context. */
export const SECTION_SEPARATOR = '\n\n';

/** The header line that introduces a section in the text form. */
export function sectionHeader(name: string): string {
  return `## ${name}\n`;
}

/** One string with a header per non-empty section, in profile order. */
export function renderText(sections: readonly RenderedSection[]): string {
  return renderTextPieces(sections).join('');
}

/** {@link renderText} as pieces, one per section (with its separator), whose counts add up exactly: see countPieces. */
export function renderTextPieces(sections: readonly RenderedSection[]): string[] {
  const shown = sections.filter((section) => section.content.length > 0);
  return shown.map((section, i) => sectionHeader(section.allocation.name) + section.content + (i < shown.length - 1 ? SECTION_SEPARATOR : ''));
}

/**
 * One chat message per non-empty section, in profile order: system sections keep their header
 * so the model can tell them apart; user sections (the query) are sent as the user wrote them.
 */
export function renderMessages(sections: readonly RenderedSection[]): ChatMessage[] {
  return sections
    .filter((section) => section.content.length > 0)
    .map(({ allocation, content }) => ({
      role: allocation.role,
      content: allocation.role === 'system' ? sectionHeader(allocation.name) + content : content,
    }));
}
