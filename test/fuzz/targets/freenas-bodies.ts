/** FreeNAS v1.0 bodies (api/freenas): every create and the global configuration, through the real app. */
import { app, fuzzRoutes, type Route } from '../app.js';
import { FREENAS } from '../../support/sanbox.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/api/freenas/', 'src/api/http/', 'src/domain/'];

const routes: Route[] = [
  ...['portal', 'authorizedinitiator', 'authcredential', 'target', 'extent', 'targettoextent', 'targetgroup'].map((r) => ({
    method: 'POST' as const,
    url: `${FREENAS}/${r}/`,
  })),
  { method: 'PUT', url: `${FREENAS}/globalconfiguration/` },
  { method: 'PUT', url: '/api/v1.0/services/services/iscsitarget/' },
];

await app();

export function fuzz(data: Buffer): Promise<void> {
  return fuzzRoutes(routes, data);
}
