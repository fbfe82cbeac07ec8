/**
 * Findings of the fuzz targets, each with the input that found it (also kept in the
 * target's seed corpus, so the smoke run replays it) and what the fix guarantees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzz as login } from './targets/login.js';
import { fuzz as jsonPatchTarget } from './targets/json-patch.js';
import { PatchError, patchRepresentation } from '../../src/api/http/patch.js';
import { LoginMachine } from '../../src/iscsi/login.js';
import { parseText, serializeText } from '../../src/iscsi/text.js';
import { TestCatalog, globals } from '../iscsi/harness.js';
import { clearUa, fileLu, run } from '../scsi/helpers.js';
import { parseSense } from '../../src/scsi/sense.js';

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fuzz/corpus');

// Found by the login target: an initiator's bad MaxRecvDataSegmentLength was answered
// "Reject" and, in the same PDU, followed by the target's own declaration of the key: a
// key twice in one text, which RFC 7143 makes a protocol error for the initiator.
test('login: a rejected MaxRecvDataSegmentLength is not declared again in the same reply', () => {
  login(fs.readFileSync(path.join(corpus, 'login/regression-mrdsl-answered-twice')));
  const catalog = new TestCatalog(globals());
  const machine = new LoginMachine({
    catalog,
    portal: { portalGroup: 1, portalGroupTag: 1, listen: { host: '0.0.0.0', port: 3260 } },
    initiatorAddress: '127.0.0.1',
    admit: () => ({}),
    complete: () => 1,
  });
  const req = {
    transit: false,
    cont: false,
    csg: 1,
    nsg: 1,
    versionMax: 0,
    versionMin: 0,
    isid: Buffer.from('400001370000', 'hex'),
    tsih: 0,
    itt: 1,
    cid: 1,
    cmdSN: 1,
    expStatSN: 0,
  };
  const first = machine.handle(
    req,
    serializeText([
      ['InitiatorName', 'iqn.2026-01.test:init'],
      ['SessionType', 'Discovery'],
      ['MaxRecvDataSegmentLength', 'bogus'],
    ]),
  );
  const pairs = parseText(first.data);
  assert.deepEqual(
    pairs.filter(([k]) => k === 'MaxRecvDataSegmentLength'),
    [['MaxRecvDataSegmentLength', 'Reject']],
  );
  // Ours follows in the next response of the negotiation.
  const second = machine.handle({ ...req, transit: true, nsg: 3 }, Buffer.alloc(0));
  assert.deepEqual(
    parseText(second.data).filter(([k]) => k === 'MaxRecvDataSegmentLength'),
    [['MaxRecvDataSegmentLength', String(globals().maxRecvDataSegmentLength)]],
  );
});

// Found by the cdb-decoder target (the contract was wrong, not the code): a VERIFY(16)
// LBA past 2^53 decodes to an inexact number by design, and the LU refuses it.
test('VERIFY(16) with an LBA past 2^53 is LBA OUT OF RANGE', async () => {
  const cdb = fs.readFileSync(path.join(corpus, 'cdb-decoder/regression-verify16-lba-past-2-53'));
  const t = await fileLu({ sizeBytes: 1 << 20 });
  try {
    await clearUa(t.lu);
    const r = await run(t.lu, [...cdb, ...Array(16 - cdb.length).fill(0)].slice(0, 16), Buffer.alloc(512));
    assert.equal(r.status, 0x02);
    const s = parseSense(r.sense!);
    assert.deepEqual([s.key, s.asc, s.ascq], [0x05, 0x21, 0x00]);
  } finally {
    await t.cleanup();
  }
});

// Found by the typed-errors property test: with "path" the root, fast-json-patch reads
// "from" through a missing parent and throws a bare TypeError (a 500), not PatchError.
test('JSON Patch: copy or move to the root from a missing location is a PatchError', () => {
  jsonPatchTarget(fs.readFileSync(path.join(corpus, 'json-patch/regression-copy-root-from-missing')));
  for (const op of ['copy', 'move']) {
    assert.throws(
      () => patchRepresentation({ name: 'a' }, 'json', [{ op, path: '', from: '/name/name/name' }]),
      (e: unknown) => e instanceof PatchError && e.code === 'path_not_found',
    );
  }
});

// Found by the fuzz smoke test's mutator and the typed-errors property test in one run:
// an operation that left the document undefined (remove "", copy from a malformed "from")
// made the next operation read through it, a bare TypeError (a 500).
test('JSON Patch: a root removed or copied from a non-pointer is refused at that operation', () => {
  for (const seed of ['regression-root-removed', 'regression-from-not-a-pointer']) jsonPatchTarget(fs.readFileSync(path.join(corpus, `json-patch/${seed}`)));
  assert.throws(
    () =>
      patchRepresentation({ name: 'a' }, 'json', [
        { op: 'remove', path: '' },
        { op: 'add', path: '/name', value: false },
      ]),
    (e: unknown) => e instanceof PatchError && e.code === 'not_an_object' && e.index === 0,
  );
});
