/** execute() never rejects: random CDBs and Data-Out always come back as a SCSI status. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileLu, nexus } from './helpers.js';
import { COMMANDS } from '../../src/scsi/command-table.js';

function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

test('random CDBs for every opcode (and unknown ones) never reject and keep the LU usable', async () => {
  const t = await fileLu({ sizeBytes: 2 * 1024 * 1024 });
  const rnd = prng(0x5eed);
  const opcodes = [...new Set(COMMANDS.map((c) => c.opcode)), 0x01, 0x04, 0x7f, 0xc0, 0xff];
  const statuses = new Set([0x00, 0x02, 0x18, 0x40]);
  const ns = [nexus('iqn.f1'), nexus('iqn.f2')];
  const seen = new Map<number, number>();
  try {
    for (let i = 0; i < 3000; i++) {
      const cdb = Buffer.alloc(16);
      for (let j = 1; j < 16; j++) cdb[j] = rnd() < 0.5 ? 0 : Math.floor(rnd() * 256);
      cdb[0] = opcodes[Math.floor(rnd() * opcodes.length)]!;
      // keep transfers small so the run stays quick
      if (rnd() < 0.8) for (const at of [4, 7, 8, 10, 11, 12, 13]) cdb[at] = cdb[at]! & 0x03;
      const dataOut = rnd() < 0.5 ? null : Buffer.alloc(Math.floor(rnd() * 4096), Math.floor(rnd() * 256));
      const r = await t.lu.execute({ cdb, dataOut, expectedLength: 4096, nexus: ns[i & 1]!, taskTag: i, attribute: Math.floor(rnd() * 4) });
      assert.ok(statuses.has(r.status), `status ${r.status} for ${cdb.toString('hex')}`);
      seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
      if (r.status === 0x02) {
        assert.equal(r.sense?.length, 18);
        assert.notEqual(r.sense![2]! & 0x0f, 0x04, `no HARDWARE ERROR for ${cdb.toString('hex')}`);
      }
    }
    // CDBs shorter than their opcode's length (a transport would not send them, but still)
    for (const op of opcodes) {
      for (const len of [0, 1, 5, 9]) {
        const r = await t.lu.execute({
          cdb: Buffer.alloc(len, op).fill(op, 0, Math.min(1, len)),
          dataOut: null,
          expectedLength: 0,
          nexus: ns[0]!,
          taskTag: 1,
          attribute: 1,
        });
        assert.ok(statuses.has(r.status));
      }
    }
    assert.ok((seen.get(0) ?? 0) > 100 && (seen.get(2) ?? 0) > 100, `mix of outcomes: ${JSON.stringify([...seen])}`);
    // Still a working disk afterwards (clear what the fuzzing left behind).
    const probe = Buffer.from([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    const n = nexus('iqn.after');
    // Release whatever SPC-2 reservation the fuzz may have left (an LU reset does), then
    // start the unit again in case a fuzzed START STOP UNIT stopped it.
    t.lu.reset(n);
    let r = await t.lu.execute({
      cdb: Buffer.from([0x1b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      dataOut: null,
      expectedLength: 0,
      nexus: n,
      taskTag: 1,
      attribute: 1,
    });
    for (let k = 0; k < 3 && r.status !== 0; k++) {
      r = await t.lu.execute({
        cdb: Buffer.from([0x1b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        dataOut: null,
        expectedLength: 0,
        nexus: n,
        taskTag: 1,
        attribute: 1,
      });
    }
    await t.lu.execute({ cdb: Buffer.from([0, 0, 0, 0, 0, 0]), dataOut: null, expectedLength: 0, nexus: n, taskTag: 2, attribute: 1 });
    r = await t.lu.execute({ cdb: probe, dataOut: null, expectedLength: 512, nexus: n, taskTag: 3, attribute: 1 });
    assert.ok(r.status === 0 || r.status === 0x18, `read after fuzz: ${r.status} ${r.sense?.toString('hex')}`);
  } finally {
    await t.cleanup();
  }
});
