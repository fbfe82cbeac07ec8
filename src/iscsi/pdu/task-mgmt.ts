/** Task Management Function Request and Response (RFC 7143 11.5, 11.6). */
import { Opcode, decodeLun, encodeLun, isImmediate, newBhs, writeSeq, type Pdu, type SeqNumbers } from './bhs.js';

export const enum TmfFunction {
  AbortTask = 1,
  AbortTaskSet = 2,
  ClearAca = 3,
  ClearTaskSet = 4,
  LogicalUnitReset = 5,
  TargetWarmReset = 6,
  TargetColdReset = 7,
  TaskReassign = 8,
}

export const enum TmfResponse {
  FunctionComplete = 0,
  TaskDoesNotExist = 1,
  LunDoesNotExist = 2,
  TaskStillAllegiant = 3,
  ReassignmentNotSupported = 4,
  FunctionNotSupported = 5,
  AuthorizationFailed = 6,
  FunctionRejected = 255,
}

export interface TaskMgmtRequestPdu {
  immediate: boolean;
  function: number;
  lun: number;
  itt: number;
  referencedTaskTag: number;
  cmdSN: number;
  expStatSN: number;
  refCmdSN: number;
  expDataSN: number;
}

export function parseTaskMgmtRequest(pdu: Pdu): TaskMgmtRequestPdu {
  const b = pdu.bhs;
  return {
    immediate: isImmediate(b),
    function: b[1]! & 0x7f,
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    referencedTaskTag: b.readUInt32BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
    refCmdSN: b.readUInt32BE(32),
    expDataSN: b.readUInt32BE(36),
  };
}

export function serializeTaskMgmtRequest(t: TaskMgmtRequestPdu): Buffer {
  const b = newBhs(Opcode.TaskMgmtRequest | (t.immediate ? 0x40 : 0), 0x80 | (t.function & 0x7f));
  encodeLun(t.lun, b);
  b.writeUInt32BE(t.itt >>> 0, 16);
  b.writeUInt32BE(t.referencedTaskTag >>> 0, 20);
  b.writeUInt32BE(t.cmdSN >>> 0, 24);
  b.writeUInt32BE(t.expStatSN >>> 0, 28);
  b.writeUInt32BE(t.refCmdSN >>> 0, 32);
  b.writeUInt32BE(t.expDataSN >>> 0, 36);
  return b;
}
export interface TaskMgmtResponsePdu extends SeqNumbers {
  response: number;
  itt: number;
}

export function serializeTaskMgmtResponse(t: TaskMgmtResponsePdu): Buffer {
  const b = newBhs(Opcode.TaskMgmtResponse, 0x80);
  b[2] = t.response;
  b.writeUInt32BE(t.itt >>> 0, 16);
  writeSeq(b, t);
  return b;
}

export function parseTaskMgmtResponse(pdu: Pdu): TaskMgmtResponsePdu {
  const b = pdu.bhs;
  return { response: b[2]!, itt: b.readUInt32BE(16), statSN: b.readUInt32BE(24), expCmdSN: b.readUInt32BE(28), maxCmdSN: b.readUInt32BE(32) };
}
