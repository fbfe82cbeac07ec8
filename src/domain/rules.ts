/**
 * Small shared rules: required fields, integer ranges, choices, free text (and the one
 * rule on control characters every text field of every dialect goes through).
 * Each throws a DomainError naming the domain field.
 */
import { invalid } from './errors.js';

export const REQUIRED = 'This field is required.';

export function intInRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value)) throw invalid(field, 'Enter a whole number.');
  if (value < min) throw invalid(field, `Ensure this value is greater than or equal to ${min}.`);
  if (value > max) throw invalid(field, `Ensure this value is less than or equal to ${max}.`);
  return value;
}

export function choice<T extends string | number>(field: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw invalid(field, `Select a valid choice. ${String(value)} is not one of the available choices.`);
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
export const NO_CONTROL_CHARACTERS = 'Control characters (U+0000 to U+001F and U+007F) are not allowed.';
export const NO_CONTROL_CHARACTERS_IN_LIST =
  'Control characters (U+0000 to U+001F and U+007F) are not allowed; entries are separated by spaces, commas, tabs or newlines.';

/** One line of text: a name, alias, comment, user, secret or path. The message never echoes the value. */
export function noControlCharacters(field: string, value: string): string {
  if (CONTROL.test(value)) throw invalid(field, NO_CONTROL_CHARACTERS);
  return value;
}

/** A list of entries separated by spaces, commas, tabs or newlines (initiators, networks). */
export function noControlCharactersInList(field: string, value: string): string {
  if (CONTROL_IN_LIST.test(value)) throw invalid(field, NO_CONTROL_CHARACTERS_IN_LIST);
  return value;
}

/** Free text of one line, at most `maxLength` characters. */
export function text(field: string, value: string, maxLength: number): string {
  return atMost(field, noControlCharacters(field, value), maxLength);
}

export function atMost(field: string, value: string, maxLength: number): string {
  if (value.length > maxLength) {
    throw invalid(field, `Ensure this value has at most ${maxLength} characters (it has ${value.length}).`);
  }
  return value;
}

export const AUTH_METHODS = ['None', 'Auto', 'CHAP', 'CHAP Mutual'] as const;
