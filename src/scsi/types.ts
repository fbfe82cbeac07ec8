/**
 * The contract between the transport (iscsi/) and the command emulation (scsi/).
 * iSCSI collects a command's Data-Out into one buffer, hands the command to a LogicalUnit,
 * and turns the result into Data-In + SCSI Response PDUs. Nothing here knows about PDUs.
 */
import type { Backstore } from '../backstore/backstore.js';

/** SAM status codes. */
export const enum ScsiStatus {
  Good = 0x00,
  CheckCondition = 0x02,
  ConditionMet = 0x04,
  Busy = 0x08,
  ReservationConflict = 0x18,
  TaskSetFull = 0x28,
  AcaActive = 0x30,
  TaskAborted = 0x40,
}

/**
 * The I_T nexus a command arrived on. Reservations, unit attentions and registrations are
 * keyed by it. `initiatorPort` is the SCSI initiator port name, `<iqn>,i,0x<isid>`;
 * `targetPort` is `<target iqn>,t,0x<tpgt>`.
 */
export interface ItNexus {
  readonly initiatorPort: string;
  readonly initiatorName: string;
  readonly isid: string;
  readonly targetPort: string;
  readonly relativeTargetPortId: number;
  readonly targetPortGroupId: number;
  /** Stable key: initiatorPort + '|' + targetPort. */
  readonly key: string;
  /** The initiator was admitted read-only (an access rule's `ro`): every write is DATA PROTECT. */
  readonly readOnly?: boolean;
}

export interface ScsiCommand {
  /** The CDB as received (16 bytes from the BHS, more with an AHS for long CDBs). */
  readonly cdb: Buffer;
  /** Data-Out collected for this command, exactly as many bytes as the initiator sent. */
  readonly dataOut: Buffer | null;
  /** Expected Data Transfer Length from the initiator. */
  readonly expectedLength: number;
  readonly nexus: ItNexus;
  /** Initiator Task Tag, for task management (ABORT TASK). */
  readonly taskTag: number;
  /** Task attribute: 0 untagged, 1 simple, 2 ordered, 3 head of queue, 4 ACA. */
  readonly attribute: number;
}

export interface ScsiResult {
  status: ScsiStatus;
  /** Data-In; the transport clips it to expectedLength and reports residuals. */
  data?: Buffer;
  /** Fixed-format sense data, present with CHECK CONDITION. */
  sense?: Buffer;
  /**
   * Commands with Data-Out: the bytes the CDB's transfer length asks for. The transport
   * compares it with the Expected Data Transfer Length to report write residuals
   * (overflow when larger, underflow when smaller). Omitted: no residual is reported.
   */
  dataOutLength?: number;
  /**
   * `data` is a view of a buffer from the I/O buffer pool (backstore/buffer-pool.ts) and
   * ownership passes with the result: the transport releases it once the bytes are sent
   * (or dropped). Whoever discards such a result without sending it may simply drop it.
   */
  pooled?: boolean;
}

/** A logical unit as the transport sees it. */
export interface LogicalUnit {
  /** Run one command. Never rejects: failures come back as CHECK CONDITION. */
  execute(cmd: ScsiCommand): Promise<ScsiResult>;
  /** Task management: abort commands of this nexus (or all when undefined). */
  abortTasks(nexus: ItNexus | undefined, taskTag?: number): number;
  /**
   * Resolves once every task aborted so far has ended. Aborting changes a task's status; a
   * read or write already handed to the backstore still runs, so the task management
   * response waits for it (SAM-5 7.1: no aborted command may change the medium after it).
   */
  abortsSettled(): Promise<void>;
  /** LOGICAL UNIT RESET: aborts tasks, clears reservations (not PR), queues UAs. */
  reset(by: ItNexus): void;
  /** The nexus went away (session ended): forget its per-nexus state that does not persist. */
  nexusGone(nexus: ItNexus): void;
  /**
   * The medium grew: re-read the size and raise CAPACITY DATA HAS CHANGED for every nexus.
   * `sizeBytes` (optional) is the new configured size, applied to backstores that have no
   * medium of their own (memory, null); file and block backstores re-read the medium.
   */
  capacityChanged(sizeBytes?: number): Promise<void>;
  /**
   * The medium went away (null: its file or pool is missing) or is back (a backstore).
   * Without one, commands that need the medium get NOT READY / MEDIUM NOT PRESENT while INQUIRY, REPORT LUNS
   * and REQUEST SENSE still answer; when one arrives, every nexus gets NOT READY TO READY
   * CHANGE (and CAPACITY DATA HAS CHANGED if the size differs). The old backstore is closed.
   */
  changeMedium(backstore: Backstore | null): Promise<void>;
  /** Release the backstore; commands after this fail. */
  close(): Promise<void>;
  /**
   * Judged from the CDB alone, before the transport buffers anything for the command:
   * -1 when the command already fails on it (transfer length past the LU's limit, LBA
   * out of range; the transport then runs it without collecting its Data-Out, and the LU
   * answers as it always would), else the most Data-In bytes it can produce (0 when it
   * is not a block read). Pure: changes nothing. Optional: without it nothing is known.
   */
  transferBytes?(cdb: Buffer): number;
}

/** What a logical unit is made from; the data plane builds these from the domain. */
export interface LogicalUnitSpec {
  /** Vendor-neutral identity. `serial` feeds VPD 80h; `naa` (16 hex digits) VPD 83h. */
  serial: string;
  naa: string;
  /** T10 vendor id (8 chars) and product id (16 chars), space padded by the SCSI layer. */
  vendor: string;
  product: string;
  revision: string;
  /** 512 or 4096. */
  blockSize: number;
  readOnly: boolean;
  /** Rotation rate for VPD B1h: 1 = non-rotating (SSD), 0 = not reported, else rpm. */
  rotationRate: number;
  /** Thin provisioning enabled (LBPME): UNMAP / WRITE SAME UNMAP / GET LBA STATUS. */
  thin: boolean;
  /** Null: the medium is missing; the LU starts NOT READY (see LogicalUnit.changeMedium). */
  backstore: Backstore | null;
  /**
   * Where persistent reservations registered with APTPL (activate persist through power
   * loss) are kept across restarts: a small JSON file per LU. Optional; without it APTPL
   * is accepted but the reservation state lives only as long as the process.
   */
  persistPath?: string;
}
