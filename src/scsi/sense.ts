/**
 * Sense data (SPC-4 4.5.3, fixed format 70h) and the error type command handlers throw.
 * Handlers throw ScsiCheckCondition; the LogicalUnit turns it into CHECK CONDITION with
 * sense bytes, so `execute` never rejects.
 */

export const enum SenseKey {
  NoSense = 0x0,
  RecoveredError = 0x1,
  NotReady = 0x2,
  MediumError = 0x3,
  HardwareError = 0x4,
  IllegalRequest = 0x5,
  UnitAttention = 0x6,
  DataProtect = 0x7,
  CopyAborted = 0xa,
  AbortedCommand = 0xb,
  Miscompare = 0xe,
}

/** Sense-key-specific field pointer (SPC-4 4.5.2.4.2). */
export interface FieldPointer {
  /** true: the error is in the CDB; false: in the parameter list (Data-Out). */
  readonly inCdb: boolean;
  readonly byte: number;
  /** Bit 0..7 within the byte, or undefined when the whole byte is meant. */
  readonly bit?: number;
}

export const FIXED_SENSE_LENGTH = 18;

export class ScsiCheckCondition extends Error {
  constructor(
    readonly senseKey: number,
    readonly asc: number,
    readonly ascq: number,
    readonly field?: FieldPointer,
    /** INFORMATION field (e.g. the failing LBA, the miscompare offset); sets VALID. */
    readonly information?: number,
  ) {
    super(`CHECK CONDITION sense ${hex(senseKey)}/${hex(asc)}/${hex(ascq)}`);
    this.name = 'ScsiCheckCondition';
  }

  toSense(): Buffer {
    return buildFixedSense(this.senseKey, this.asc, this.ascq, this.field, this.information);
  }
}

/** A task was aborted (ABORT TASK, LU reset, PREEMPT AND ABORT): TASK ABORTED status. */
export class TaskAbortedError extends Error {
  constructor() {
    super('task aborted');
    this.name = 'TaskAbortedError';
  }
}

/** RESERVATION CONFLICT status (no sense data). */
export class ReservationConflictError extends Error {
  constructor() {
    super('reservation conflict');
    this.name = 'ReservationConflictError';
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Build fixed-format (70h) sense data, 18 bytes. */
export function buildFixedSense(senseKey: number, asc: number, ascq: number, field?: FieldPointer, information?: number): Buffer {
  const b = Buffer.alloc(FIXED_SENSE_LENGTH);
  b[0] = 0x70 | (information !== undefined ? 0x80 : 0);
  b[2] = senseKey & 0x0f;
  if (information !== undefined) b.writeUInt32BE(information >>> 0, 3);
  b[7] = FIXED_SENSE_LENGTH - 8;
  b[12] = asc;
  b[13] = ascq;
  if (field) {
    b[15] = 0x80 | (field.inCdb ? 0x40 : 0) | (field.bit !== undefined ? 0x08 | (field.bit & 7) : 0);
    b.writeUInt16BE(field.byte, 16);
  }
  return b;
}

/** Decoded view of sense bytes, for tests and logs. */
export function parseSense(b: Buffer): {
  key: number;
  asc: number;
  ascq: number;
  sksv: boolean;
  fieldByte?: number;
  fieldBit?: number;
  inCdb?: boolean;
  information?: number;
} {
  const key = b[2]! & 0x0f;
  const asc = b[12]!;
  const ascq = b[13]!;
  const sksv = (b[15]! & 0x80) !== 0;
  const out: ReturnType<typeof parseSense> = { key, asc, ascq, sksv };
  if (sksv) {
    out.inCdb = (b[15]! & 0x40) !== 0;
    out.fieldByte = b.readUInt16BE(16);
    if (b[15]! & 0x08) out.fieldBit = b[15]! & 7;
  }
  if (b[0]! & 0x80) out.information = b.readUInt32BE(3);
  return out;
}

// ---- the failures this target reports, one constructor each -------------------------

export const invalidOpcode = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x20, 0x00, { inCdb: true, byte: 0 });
export const invalidFieldInCdb = (byte: number, bit?: number): ScsiCheckCondition =>
  new ScsiCheckCondition(SenseKey.IllegalRequest, 0x24, 0x00, bit === undefined ? { inCdb: true, byte } : { inCdb: true, byte, bit });
export const invalidFieldInParameterList = (byte: number, bit?: number): ScsiCheckCondition =>
  new ScsiCheckCondition(SenseKey.IllegalRequest, 0x26, 0x00, bit === undefined ? { inCdb: false, byte } : { inCdb: false, byte, bit });
/** Data-Out shorter than the CDB's transfer length (or the wrong size where it must match). */
export const invalidFieldInCommandIu = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x0e, 0x03);
export const parameterListLengthError = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x1a, 0x00);
export const lbaOutOfRange = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x21, 0x00);
export const writeProtected = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.DataProtect, 0x27, 0x00);
export const unrecoveredReadError = (lba?: number): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.MediumError, 0x11, 0x00, undefined, lba);
export const writeError = (lba?: number): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.MediumError, 0x0c, 0x00, undefined, lba);
export const notReadyInitializingRequired = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.NotReady, 0x04, 0x02);
/**
 * The medium (image file, pool) is missing: NOT READY / MEDIUM NOT PRESENT. Initiators
 * fail the I/O at once (Linux: ACTION_FAIL, no retry storm), and libiscsi's login (QEMU,
 * iscsi-inq, iscsi-ls) tolerates a NOT READY LUN only with this ASC (or SANITIZE IN
 * PROGRESS): with 04/03 MANUAL INTERVENTION REQUIRED those initiators cannot even connect
 * to read its INQUIRY, and 04/01 BECOMING READY is retried for the whole command timeout.
 */
export const mediumNotPresent = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.NotReady, 0x3a, 0x00);
export const miscompare = (offset: number): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.Miscompare, 0x1d, 0x00, undefined, offset);
export const savingParametersNotSupported = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x39, 0x00);
export const mediumRemovalPrevented = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x53, 0x02);
export const invalidReleaseOfPersistentReservation = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x26, 0x04);
export const logicalUnitNotSupported = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x25, 0x00);
export const spaceAllocationFailed = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.DataProtect, 0x27, 0x07);

// EXTENDED COPY (SPC-4 6.3): parameter list problems are ILLEGAL REQUEST; a copy that
// cannot be carried out (a copy target not found, a segment beyond its capacity) is COPY
// ABORTED.
export const tooManyTargetDescriptors = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x26, 0x06, { inCdb: false, byte: 2 });
export const unsupportedTargetDescriptorType = (byte: number): ScsiCheckCondition =>
  new ScsiCheckCondition(SenseKey.IllegalRequest, 0x26, 0x07, { inCdb: false, byte });
export const tooManySegmentDescriptors = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x26, 0x08, { inCdb: false, byte: 8 });
export const unsupportedSegmentDescriptorType = (byte: number): ScsiCheckCondition =>
  new ScsiCheckCondition(SenseKey.IllegalRequest, 0x26, 0x09, { inCdb: false, byte });
export const operationInProgress = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.IllegalRequest, 0x00, 0x16);
/** COPY ABORTED: a copy target (CSCD) the copy manager cannot reach. */
export const unreachableCopyTarget = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.CopyAborted, 0x08, 0x04);
/** COPY ABORTED with no additional sense: a segment the copy targets cannot carry out. */
export const copyAborted = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.CopyAborted, 0x00, 0x00);

/** Software write protect (control mode page SWP) is set. */
export const writeProtectedBySoftware = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.DataProtect, 0x27, 0x02);
export const sanitizeInProgress = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.NotReady, 0x04, 0x1b);
export const sanitizeCommandFailed = (): ScsiCheckCondition => new ScsiCheckCondition(SenseKey.MediumError, 0x31, 0x03);

/** Unit attention conditions (asc, ascq) queued per nexus. */
export const enum UnitAttention {
  NotReadyToReadyChange = 0x2800,
  PowerOnReset = 0x2900,
  LogicalUnitReset = 0x2903,
  ItNexusLoss = 0x2907,
  ModeParametersChanged = 0x2a01,
  ReservationsPreempted = 0x2a03,
  ReservationsReleased = 0x2a04,
  RegistrationsPreempted = 0x2a05,
  CapacityDataHasChanged = 0x2a09,
  CommandsClearedByAnotherInitiator = 0x2f00,
}

export function unitAttention(code: number): ScsiCheckCondition {
  return new ScsiCheckCondition(SenseKey.UnitAttention, code >> 8, code & 0xff);
}
