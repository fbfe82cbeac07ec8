/**
 * The one error type domain rules raise: a stable code (error-codes.ts), the domain field
 * it is about (`listen`, `sizeBytes`, ...; `__all__` for none), and the code's parameters.
 * Each dialect maps the field to its own name, the code to its status and words, and the
 * whole to its error shape. `message` is the domain's plain English, for logs and for
 * dialects without words of their own. Messages never contain secret values.
 */
import { type DomainErrorKind, type EntityKind, type ErrorCode, type ParamsOf, describe, kindOf } from './error-codes.js';

export type { DomainErrorKind, ErrorCode } from './error-codes.js';

export class DomainError<C extends ErrorCode = ErrorCode> extends Error {
  readonly kind: DomainErrorKind;

  constructor(
    readonly code: C,
    readonly field: string,
    readonly params: ParamsOf<C>,
  ) {
    super(describe(code, params));
    this.name = 'DomainError';
    this.kind = kindOf(code);
  }
}

type NoParams<C extends ErrorCode> = Record<never, never> extends ParamsOf<C> ? C : never;

/** An error about `field`; codes without parameters need none. */
export function fail<C extends ErrorCode>(code: NoParams<C>, field: string): DomainError<C>;
export function fail<C extends ErrorCode>(code: C, field: string, params: ParamsOf<C>): DomainError<C>;
export function fail<C extends ErrorCode>(code: C, field: string, params?: ParamsOf<C>): DomainError<C> {
  return new DomainError(code, field, (params ?? {}) as ParamsOf<C>);
}

export const notFound = (entity: EntityKind) => fail('entity.not-found', '__all__', { entity });
