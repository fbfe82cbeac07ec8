/** HNAS v9 bodies (api/hnas): virtual servers, iSCSI targets (with accessConfig) and logical units, through the real app. */
import { app, fuzzRoutes, type Route } from '../app.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/api/hnas/', 'src/api/http/', 'src/domain/'];

const routes: Route[] = ['virtual-servers', 'iscsi-targets', 'iscsi-logical-units'].map((r) => ({ method: 'POST', url: `/v9/storage/${r}` }));

await app();

export function fuzz(data: Buffer): Promise<void> {
  return fuzzRoutes(routes, data);
}
