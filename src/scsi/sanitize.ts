/**
 * SANITIZE (48h, SBC-4 5.30): BLOCK ERASE and EXIT FAILURE MODE.
 *
 * BLOCK ERASE deallocates every LBA, so it is offered on thin-provisioned LUs only
 * (LBPME=1, LBPRZ=1: the erased medium reads as zeros, WABEREQ 01b). The erase runs to its
 * end whatever happens to the command: ABORT TASK, LU and target resets and a lost session
 * leave it running (SBC-4 4.11), and while it runs the LU answers NOT READY, SANITIZE IN
 * PROGRESS to all but INQUIRY, REPORT LUNS, REQUEST SENSE and REPORT SUPPORTED OPERATION
 * CODES. With IMMED the command completes as soon as the erase has started. If the erase
 * fails the LU enters the sanitize failure mode (user data answers MEDIUM ERROR, SANITIZE
 * COMMAND FAILED) until a SANITIZE succeeds or EXIT FAILURE MODE.
 *
 * Not offered: OVERWRITE (an overwrite of a small LU ends in well under a second, and
 * libiscsi 1.19's Sanitize.Reset needs one still running 4 s after it started) and
 * CRYPTOGRAPHIC ERASE (images are not encrypted, so there is no key to change).
 */
import type { ScsiCommand, ScsiResult } from './types.js';
import type { BlockLogicalUnit, Task } from './logical-unit.js';
import { invalidFieldInCdb } from './sense.js';
import { GOOD, ioFailure } from './results.js';

export const SA_BLOCK_ERASE = 0x02;
export const SA_EXIT_FAILURE_MODE = 0x1f;

/** Discard in steps of this many bytes, so one erase never holds a huge single request. */
const ERASE_STEP = 1024 * 1024 * 1024;

function checkCdb(cmd: ScsiCommand): { immed: boolean; listLength: number } {
  const cdb = cmd.cdb;
  if (cdb[1]! & 0x40) throw invalidFieldInCdb(1, 6);
  for (let i = 2; i <= 6; i++) if (cdb[i] !== 0) throw invalidFieldInCdb(i);
  return { immed: (cdb[1]! & 0x80) !== 0, listLength: cdb.readUInt16BE(7) };
}

async function erase(lu: BlockLogicalUnit): Promise<void> {
  const total = lu.blocks * lu.blockSize;
  for (let at = 0; at < total; at += ERASE_STEP) {
    const len = Math.min(ERASE_STEP, total - at);
    try {
      await lu.backstore.discard(at, len);
    } catch (err) {
      throw ioFailure(err, Math.floor(at / lu.blockSize), true);
    }
  }
  await lu.backstore.flush();
}

export async function sanitizeBlockErase(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
  const { immed, listLength } = checkCdb(cmd);
  if (listLength !== 0) throw invalidFieldInCdb(7); // BLOCK ERASE takes no parameter list
  lu.checkWritable(cmd.nexus);
  // From here on new commands get SANITIZE IN PROGRESS; the erase starts once the writes
  // already in flight have landed, so none of them survives it. It runs under a task of
  // its own: aborting the SANITIZE command does not stop it.
  lu.sanitizing = true;
  const own: Task = { nexus: cmd.nexus, tag: -1, aborted: false, admitted: true, ordered: false, wake: null, orphaned: false, behindOrphans: false };
  const done = lu
    .atomically(own, () => erase(lu))
    .then(
      () => {
        lu.sanitizeFailed = false;
      },
      (err: unknown) => {
        lu.sanitizeFailed = true;
        throw err;
      },
    )
    .finally(() => {
      lu.sanitizing = false;
    });
  if (immed) {
    done.catch(() => undefined); // the failure mode reports it from now on
    return GOOD;
  }
  await done;
  return GOOD;
}

export function sanitizeExitFailureMode(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const { listLength } = checkCdb(cmd);
  if (listLength !== 0) throw invalidFieldInCdb(7);
  lu.sanitizeFailed = false;
  return GOOD;
}
