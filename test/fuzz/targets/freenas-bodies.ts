/** FreeNAS v1.0 bodies (api/freenas): every create and the global configuration, through the real app. */
import { app, fuzzRoutes, type Route } from '../app.js';
import { FREENAS } from '../../support/sanbox.js';

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
