/** Share-pool API bodies (api/pools): every POST route, through the real app. */
import { app, fuzzRoutes, type Route } from '../app.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/api/pools/', 'src/api/http/', 'src/domain/'];

const routes: Route[] = ['/create', '/set', '/delete', '/get', '/list', '/status/check', '/fc_device/list'].map((r) => ({
  method: 'POST',
  url: `/v1/pool/share${r}`,
}));

await app();

export function fuzz(data: Buffer): Promise<void> {
  return fuzzRoutes(routes, data);
}
