/**
 * FreeNAS's error shape: 400 with {"<field>": ["<message>"]} (Django form errors, with
 * "__all__" for errors that belong to no single field); 404 with {"error_message": ...}.
 * Schema (ajv) errors and DomainErrors both end up here.
 */
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { DomainError } from '../../domain/errors.js';
import { wireFieldFor, type WireField } from '../http/fields.js';

export type FieldErrors = Record<string, string[]>;

export const UNKNOWN_FIELD = 'Unknown field: no FreeNAS release defines it for this resource.';

export function add(errors: FieldErrors, field: string, message: string): FieldErrors {
  const messages = errors[field] ?? [];
  errors[field] = messages;
  if (!messages.includes(message)) messages.push(message);
  return errors;
}

/** Django-style messages for ajv errors; messages never quote the value (it may be a secret). */
export function schemaErrors(validation: FastifySchemaValidationError[], root = '__all__'): FieldErrors {
  const errors: FieldErrors = {};
  // An anyOf failure also reports each branch's failure; the anyOf message says it all.
  const anyOfPaths = new Set(validation.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const e of validation) {
    if (e.keyword !== 'anyOf' && anyOfPaths.has(e.instancePath)) continue;
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties' && e.instancePath === '') {
      add(errors, String(params.additionalProperty), UNKNOWN_FIELD);
      continue;
    }
    const field = e.instancePath.split('/')[1] ?? '';
    const key = field === '' ? root : decodeURIComponent(field.replace(/~1/g, '/').replace(/~0/g, '~'));
    add(errors, key, messageFor(e, field === ''));
  }
  return errors;
}

function messageFor(e: FastifySchemaValidationError, isRoot: boolean): string {
  const params = e.params as Record<string, unknown>;
  if (isRoot && e.keyword === 'type') return 'The request body must be a JSON object.';
  switch (e.keyword) {
    case 'type': {
      const type = String(params.type);
      if (type.startsWith('integer')) return 'Enter a whole number.';
      if (type.startsWith('boolean')) return 'Enter a boolean (true or false).';
      if (type.startsWith('array')) return 'Enter a list of values.';
      if (type.startsWith('object')) return 'Enter an object.';
      return 'Enter a text value.';
    }
    case 'enum':
      return 'Select a valid choice. That choice is not one of the available choices.';
    case 'anyOf':
      return 'Enter a text value or a list of values.';
    case 'minimum':
      return `Ensure this value is greater than or equal to ${String(params.limit)}.`;
    case 'maximum':
      return `Ensure this value is less than or equal to ${String(params.limit)}.`;
    case 'maxItems':
      return `Ensure this list has at most ${String(params.limit)} item(s).`;
    case 'additionalProperties':
      return `Unknown field ${String(params.additionalProperty)}.`;
    default:
      return e.message ?? 'Invalid value.';
  }
}

export function domainErrorBody(err: DomainError, fields: Record<string, WireField>): FieldErrors {
  return { [wireFieldFor(fields, err.field)]: [err.message] };
}

export function notFoundBody(message = 'Sorry, this request could not be processed: no such object.'): { error_message: string } {
  return { error_message: message };
}
