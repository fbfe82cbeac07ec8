/**
 * Small shared rules: required fields, integer ranges, choices, free text.
 * Each throws a DomainError naming the domain field.
 */
import { invalid } from './errors.js';

export const REQUIRED = 'This field is required.';

export function required<T>(field: string, value: T | undefined | null): T {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    throw invalid(field, REQUIRED);
  }
  return value;
}

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

export function text(field: string, value: string, maxLength: number): string {
  if (value.length > maxLength) {
    throw invalid(field, `Ensure this value has at most ${maxLength} characters (it has ${value.length}).`);
  }
  return value;
}

export const AUTH_METHODS = ['None', 'Auto', 'CHAP', 'CHAP Mutual'] as const;
