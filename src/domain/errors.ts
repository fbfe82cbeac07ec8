/**
 * The one error type domain rules raise. `field` is a domain field name (`listen`,
 * `sizeBytes`, ...); each dialect maps it to its own field name and error shape, and the
 * kind to a status code. Messages never contain secret values.
 */
export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'referenced';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (field: string, message: string) => new DomainError('invalid', field, message);
export const conflict = (field: string, message: string) => new DomainError('conflict', field, message);
export const referenced = (field: string, message: string) => new DomainError('referenced', field, message);
export const notFound = (what: string) => new DomainError('not_found', '__all__', `No such ${what}.`);
