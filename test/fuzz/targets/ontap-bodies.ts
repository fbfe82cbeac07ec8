/** ONTAP bodies (api/ontap: body.ts's dotted and nested forms): every create, through the real app. */
import { app, fuzzRoutes, type Route } from '../app.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/api/ontap/', 'src/api/http/', 'src/domain/'];

const routes: Route[] = [
  '/api/storage/volumes',
  '/api/storage/luns',
  '/api/protocols/san/igroups',
  '/api/protocols/san/lun-maps',
  '/api/protocols/san/iscsi/services',
  '/api/network/ip/interfaces',
  '/api/svm/svms',
].map((url) => ({ method: 'POST', url }));

await app();

export function fuzz(data: Buffer): Promise<void> {
  return fuzzRoutes(routes, data);
}
