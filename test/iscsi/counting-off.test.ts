/**
 * SANBOX_IO_COUNTERS=false (the bench's baseline for what counting costs): commands are
 * served the same and counted nowhere, while logins still are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { TestCatalog, globals, memoryLu, startTarget } from './harness.js';

const T0 = 'iqn.2026-12.test:counting';
const INI = 'iqn.2026-12.test:host';

async function readsCounted(countIo: boolean): Promise<{ lu: number; session: number; logins: number; data: number }> {
  const catalog = new TestCatalog(globals({ maxSessions: 4 }));
  catalog.add({ name: T0, luns: new Map([[0, await memoryLu(1 << 20)]]) });
  const run = await startTarget(catalog, { countIo });
  try {
    const c = await IscsiInitiator.connect('127.0.0.1', run.port);
    await c.login({ initiatorName: INI, targetName: T0, isid: Buffer.from('800000000001', 'hex') });
    let data = 0;
    for (let i = 0; i < 5; i++) data += (await c.read10(0, i, 1)).data?.length ?? 0;
    const live = run.server.countersSnapshot();
    await c.logout();
    return {
      lu: live.lus.reduce((n, u) => n + u.io.reads, 0),
      session: live.initiators.reduce((n, u) => n + u.io.reads, 0),
      logins: live.portals.reduce((n, p) => n + p.accepted, 0),
      data,
    };
  } finally {
    await run.stop();
  }
}

test('with counting off, reads are served but not counted; logins still are', async () => {
  // The first command after login is answered with the power-on UNIT ATTENTION: 4 reads carry data.
  assert.deepEqual(await readsCounted(true), { lu: 5, session: 5, logins: 1, data: 4 * 512 });
  assert.deepEqual(await readsCounted(false), { lu: 0, session: 0, logins: 1, data: 4 * 512 });
});
