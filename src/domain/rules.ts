/**
 * Small shared rules: required fields, integer ranges, choices, free text (and the one
 * rule on control characters every text field of every dialect goes through).
 * Each throws a DomainError naming the domain field.
 */
import { fail } from './errors.js';

export function intInRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value)) throw fail('value.not-integer', field);
  if (value < min) throw fail('value.below-minimum', field, { min });
  if (value > max) throw fail('value.above-maximum', field, { max });
  return value;
}

export function choice<T extends string | number>(field: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw fail('value.not-a-choice', field, { value: String(value), choices: choices.map(String) });
  }
  return value as T;
}

/**
 * Control characters: U+0000-U+001F and U+007F. No name, alias, comment, user, secret or
 * path in this configuration has a use for one, and each breaks something downstream: NUL
 * ends an iSCSI text key and a C string, a newline forges a line in a log or an iscsid.conf,
 * an escape sequence rewrites a terminal. C1 controls (U+0080-U+009F) are left to the
 * fields' own rules.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this rule's purpose
const CONTROL = /[\u0000-\u001f\u007f]/;
/** The same without tab, newline and carriage return: a list's entries may be separated by them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this rule's purpose
const CONTROL_IN_LIST = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** One line of text: a name, alias, comment, user, secret or path. The message never echoes the value. */
export function noControlCharacters(field: string, value: string): string {
  if (CONTROL.test(value)) throw fail('value.control-characters', field);
  return value;
}

/** A list of entries separated by spaces, commas, tabs or newlines (initiators, networks). */
export function noControlCharactersInList(field: string, value: string): string {
  if (CONTROL_IN_LIST.test(value)) throw fail('value.control-characters-in-list', field);
  return value;
}

/** Free text of one line, at most `maxLength` characters. */
export function text(field: string, value: string, maxLength: number): string {
  return atMost(field, noControlCharacters(field, value), maxLength);
}

export function atMost(field: string, value: string, maxLength: number): string {
  if (value.length > maxLength) {
    throw fail('value.too-long', field, { maxLength, length: value.length });
  }
  return value;
}

export const AUTH_METHODS = ['None', 'Auto', 'CHAP', 'CHAP Mutual'] as const;
