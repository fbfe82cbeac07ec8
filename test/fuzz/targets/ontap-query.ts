/**
 * ONTAP collection queries (api/ontap/query.ts): a query string parsed as Fastify does
 * (a repeated name becomes a list) either gives a query or OntapQueryError; a query's
 * filters, order and projection then run over records without throwing, and paging
 * stays non-negative.
 */
import { check, only, text } from '../contract.js';
import {
  collectionBody,
  matchesFilters,
  OntapQueryError,
  type OntapResourceShape,
  parseCollectionQuery,
  project,
  sortRecords,
} from '../../../src/api/ontap/query.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/api/ontap/'];

export const sync = true;

const LUN: OntapResourceShape = {
  fields: [
    'uuid',
    'name',
    'enabled',
    'svm',
    'svm.uuid',
    'svm.name',
    'space',
    'space.size',
    'space.used',
    'initiators',
    'initiators.name',
    'statistics',
    'statistics.iops',
    'comment',
  ],
  collectionDefaults: ['uuid', 'name', '_links'],
  expensive: ['statistics'],
};

const records = [0, 1, 2].map((i) => ({
  uuid: `u${i}`,
  name: `/vol/vol${i}/lun${i}`,
  enabled: i % 2 === 0,
  svm: { uuid: 's1', name: 'vs0' },
  space: { size: i * 1024, used: i * 10 },
  initiators: [{ name: `iqn.1993-08.org.debian:01:host${i}` }],
  statistics: { iops: i * 100 },
  comment: i === 1 ? null : `c${i}`,
  _links: { self: { href: `/api/storage/luns/u${i}` } },
}));

export function fuzz(data: Buffer): void {
  const raw: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text(data))) {
    const had = raw[k];
    raw[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  const q = only([OntapQueryError], () => parseCollectionQuery(raw, LUN));
  if (q === undefined) return;
  check(q.start >= 0 && Number.isSafeInteger(q.start), 'start is a non-negative integer');
  check(q.maxRecords === null || (Number.isSafeInteger(q.maxRecords) && q.maxRecords >= 0), 'max_records is null or a non-negative integer');
  const kept = only([OntapQueryError], () => records.filter((r) => matchesFilters(r, q.filters)));
  if (kept === undefined) return;
  const sorted = sortRecords(kept, q.orderBy);
  check(sorted.length === kept.length, 'sorting keeps every record');
  for (const r of sorted) project(r, q.fields, LUN, 'collection');
  const body = collectionBody(sorted, q, '/api/storage/luns', '/api/storage/luns', LUN);
  check(body.records === undefined || body.num_records === body.records.length, 'num_records counts the records returned');
}
