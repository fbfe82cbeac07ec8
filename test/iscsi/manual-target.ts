/** Not a test: `node dist/test/iscsi/manual-target.js` runs a target for poking with real initiators. */
import { TestCatalog, globals, memoryLu, startTarget } from './harness.js';

const catalog = new TestCatalog(globals());
catalog.add({ name: 'iqn.2026-11.test.sanbox:disk0', alias: 'disk zero', luns: new Map([[0, await memoryLu(64 * 1024 * 1024)]]) });
catalog.add({
  name: 'iqn.2026-11.test.sanbox:disk1',
  luns: new Map([
    [0, await memoryLu()],
    [3, await memoryLu()],
    [260, await memoryLu()],
  ]),
});
const t = await startTarget(catalog);
console.log(`listening on 127.0.0.1:${t.port}`);
process.on('SIGINT', () => process.exit(0));
