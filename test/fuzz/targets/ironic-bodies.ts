/** OpenStack Ironic bodies (api/ironic): nodes, volume connectors and targets at a microversion that has them. */
import { app, fuzzRoutes, type Route } from '../app.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/api/ironic/', 'src/api/http/', 'src/domain/'];

const headers = { 'x-openstack-ironic-api-version': '1.32' };
const routes: Route[] = ['/v1/nodes', '/v1/volume/connectors', '/v1/volume/targets'].map((url) => ({ method: 'POST', url, headers }));

await app();

export function fuzz(data: Buffer): Promise<void> {
  return fuzzRoutes(routes, data);
}
