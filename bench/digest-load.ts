/**
 * The load for the rows with both digests on. libiscsi (qemu-img, iscsi-perf) always
 * offers DataDigest=None, so these rows use the project's own initiator
 * (src/initiator/client.ts), which asks for HeaderDigest=CRC32C and DataDigest=CRC32C and
 * refuses to run if the target does not agree to both. Run as its own process, so its CPU
 * is never charged to the bench or the target:
 *
 *   node dist/bench/digest-load.js HOST PORT IQN LUN LUN_BYTES BLOCK_SIZE BYTES DEPTH SECS read|write rand|seq
 *
 * Prints one JSON line: {"ios":N,"secs":S} or {"error":"..."}.
 */
import { IscsiInitiator } from '../src/initiator/client.js';
import { readCdb, writeCdb, TEST_UNIT_READY, parseSense, describeSense } from '../src/initiator/cdbs.js';

async function main(): Promise<void> {
  const [host, port, iqn, lun, lunBytes, blockSize, bytes, depth, secs, dir, pattern] = process.argv.slice(2);
  const bs = Number(blockSize);
  const size = Number(bytes);
  const blocks = size / bs;
  const slots = Math.floor(Number(lunBytes) / size);
  if (!(blocks >= 1 && Number.isInteger(blocks) && slots > 0)) throw new Error(`bad sizes ${bytes}/${blockSize}/${lunBytes}`);
  const c = await IscsiInitiator.connect(host!, Number(port));
  try {
    await c.login({ initiatorName: 'iqn.2026-11.sanbox.bench:digests', targetName: iqn!, headerDigest: 'CRC32C', dataDigest: 'CRC32C' });
    if (!c.neg.headerDigest || !c.neg.dataDigest) {
      throw new Error(`target did not agree to both digests (header ${c.neg.headerDigest}, data ${c.neg.dataDigest})`);
    }
    // a new session may first get a unit attention (power on, reset, LUN change): clear it
    for (let i = 0; i < 8; i++) if ((await c.scsi(Number(lun), TEST_UNIT_READY)).status === 0) break;
    const write = dir === 'write';
    const random = pattern === 'rand';
    const lu = Number(lun);
    let next = 0;
    let ios = 0;
    const t0 = performance.now();
    const end = t0 + Number(secs) * 1000;
    const worker = async (k: number): Promise<void> => {
      const buf = Buffer.alloc(size, 0x5a ^ k);
      while (performance.now() < end) {
        const slot = random ? Math.floor(Math.random() * slots) : next++ % slots;
        const lba = slot * blocks;
        const r = write
          ? await c.scsi(lu, writeCdb(lba, blocks, false), { dataOut: buf })
          : await c.scsi(lu, readCdb(lba, blocks), { readLength: size, into: buf });
        if (r.status !== 0) throw new Error(`SCSI status ${r.status} at LBA ${lba}: ${describeSense(parseSense(r.sense))}`);
        ios++;
      }
    };
    await Promise.all(Array.from({ length: Number(depth) }, (_, k) => worker(k)));
    const elapsed = (performance.now() - t0) / 1000;
    process.stdout.write(`${JSON.stringify({ ios, secs: elapsed })}\n`);
    await Promise.race([c.logout().catch(() => 0), new Promise((r) => setTimeout(r, 2000))]);
  } finally {
    c.socket.destroy();
  }
}

main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ error: e instanceof Error ? e.message : String(e) })}\n`);
  process.exitCode = 1;
});
