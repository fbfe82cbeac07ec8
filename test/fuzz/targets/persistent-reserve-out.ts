/**
 * PERSISTENT RESERVE OUT (persistent.ts) on a real LU: nexus A has registered key 0xa
 * and holds a Write Exclusive reservation; the fuzzer picks the service action, scope,
 * type and nexus of one more PR OUT and its parameter list (including the TransportID
 * list of SPEC_I_PT and REGISTER AND MOVE). PR IN must still answer afterwards.
 */
import { check } from '../contract.js';
import { A, B, u32, withLu } from '../lu.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/scsi/'];

function prOut(sa: number, scopeType: number, params: Buffer): Buffer {
  return Buffer.from([0x5f, sa & 0x1f, scopeType, 0, 0, ...u32(params.length), 0]);
}

function basic(key: bigint, saKey: bigint): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64BE(key, 0);
  b.writeBigUInt64BE(saKey, 8);
  return b;
}

export async function fuzz(data: Buffer): Promise<void> {
  if (data.length < 2) return;
  await withLu(async (u) => {
    const reg = await u.run(prOut(0x00, 0, basic(0n, 0xan)), basic(0n, 0xan), A);
    check(reg.status === 0, 'REGISTER from A succeeds');
    const res = await u.run(prOut(0x01, 0x01, basic(0xan, 0n)), basic(0xan, 0n), A);
    check(res.status === 0, 'RESERVE from A succeeds');
    const params = data.subarray(2);
    await u.run(prOut(data[0]!, data[1]!, params), params, data[0]! & 0x80 ? B : A);
    for (const sa of [0, 1, 2, 3]) {
      const r = await u.run(Buffer.from([0x5e, sa, 0, 0, 0, 0, 0, 0x10, 0, 0]), null, A, 4096);
      check(r.status === 0, `PERSISTENT RESERVE IN service action ${sa} still answers`);
    }
  });
}
