/**
 * Each dialect's HTTP status for every domain error code. A table is total by type: a new
 * code does not compile until every dialect has said its status, and the error-code test
 * walks every code through every dialect.
 */
import { ALL_ERROR_CODES, type DomainErrorKind, type ErrorCode, kindOf } from '../../domain/error-codes.js';

export type StatusTable = Readonly<Record<ErrorCode, number>>;

/** The status of every code by its kind, except the codes named in `exceptions`. */
export function statusTable(byKind: Readonly<Record<DomainErrorKind, number>>, exceptions: Partial<Record<ErrorCode, number>> = {}): StatusTable {
  const table = {} as Record<ErrorCode, number>;
  for (const code of ALL_ERROR_CODES) table[code] = exceptions[code] ?? byKind[kindOf(code)];
  return table;
}
