/**
 * A resource's wire fields described once: each field's JSON schema and the domain field
 * it maps to. Request and response schemas (validation, serialization, OpenAPI) and the
 * wire name of a domain error's field are derived from the description, so a dialect
 * never states a field twice.
 */
export type JsonSchema = Record<string, unknown>;

export interface WireField {
  schema: JsonSchema;
  /** The domain field it sets (names DomainError fields back to wire names). */
  domain?: string;
  /** Accepted (a later release of the vendor's API defines it) but with no effect here. */
  ignored?: boolean;
  /** Part of the response. */
  response?: boolean;
  description?: string;
}

export type WireFields = Record<string, WireField>;

/**
 * The wire name for a domain field. The domain's `__all__` (an error of no single field),
 * and a domain field no wire field sets, come back as `__all__`.
 */
export function wireFieldFor(fields: WireFields, domainField: string): string {
  for (const [wire, f] of Object.entries(fields)) if (f.domain === domainField) return wire;
  return '__all__';
}

/** Copies present (not undefined) wire values to domain names. */
export function pick(body: Record<string, unknown>, fields: WireFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [wire, f] of Object.entries(fields)) {
    if (f.domain && !f.ignored && body[wire] !== undefined) out[f.domain] = body[wire];
  }
  return out;
}

/** A request body: the described fields and no others. */
export function bodySchema(fields: WireFields): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, f] of Object.entries(fields)) properties[name] = f.schema;
  return { type: 'object', additionalProperties: false, properties };
}

/**
 * The response schema: every field that can go out, with its type only (the serializer
 * needs no request constraints); a field that takes several shapes (anyOf) goes out as
 * its text.
 */
export function responseSchema(fields: WireFields): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, f] of Object.entries(fields)) {
    if (!f.response) continue;
    const { type, items, anyOf } = f.schema as { type?: unknown; items?: unknown; anyOf?: unknown };
    properties[name] = anyOf ? { type: 'string' } : { ...(type ? { type } : {}), ...(items ? { items } : {}) };
  }
  return { type: 'object', properties };
}

const typed =
  (type: unknown) =>
  (description?: string): JsonSchema => ({ type, ...(description ? { description } : {}) });

export const str = typed('string');
export const int = typed('integer');
export const bool = typed('boolean');
export const intOrNull = typed(['integer', 'null']);
export const strOrNull = typed(['string', 'null']);
