/**
 * Task management (RFC 7143 11.5, 11.6) via LogicalUnit.abortTasks / reset. ErrorRecovery
 * level 0: TASK REASSIGN is answered "not supported"; unknown functions "function not
 * supported". Aborted tasks are answered by nobody: their responses are suppressed.
 */
import type { HandlerContext } from './handler-context.js';
import type { Pdu } from './pdu/bhs.js';
import { TmfFunction, TmfResponse, parseTaskMgmtRequest, serializeTaskMgmtResponse } from './pdu/task-mgmt.js';
import { snGt, snLt } from './session.js';
import { dropTask } from './scsi-task.js';
import type { ScsiTask } from './task-state.js';
import type { LogicalUnit } from '../scsi/types.js';

/**
 * The response goes out once the tasks it aborted have ended in their logical units: a
 * write already handed to the backstore cannot be called back, and an initiator that
 * reads FUNCTION COMPLETE may re-issue or re-read at once (SAM-5 7.1).
 */
export function onTaskMgmt(conn: HandlerContext, pdu: Pdu): void {
  const req = parseTaskMgmtRequest(pdu);
  const touched = affectedUnits(conn, req);
  const response = perform(conn, req);
  const answer = () => {
    const bhs = serializeTaskMgmtResponse({ response, itt: req.itt, statSN: 0, expCmdSN: 0, maxCmdSN: 0 });
    conn.send(bhs, null, 2);
    if (req.function === TmfFunction.TargetColdReset && response === TmfResponse.FunctionComplete) {
      conn.coldReset();
    }
  };
  if (response !== TmfResponse.FunctionComplete || touched.length === 0) return answer();
  void Promise.all(touched.map((lu) => lu.abortsSettled())).then(answer);
}

/** The logical units a task management request may abort tasks in. */
function affectedUnits(conn: HandlerContext, req: ReturnType<typeof parseTaskMgmtRequest>): LogicalUnit[] {
  const target = conn.currentTarget();
  const session = conn.session;
  if (!target || !session) return [];
  switch (req.function) {
    case TmfFunction.AbortTask: {
      const t = session.tasks.get(req.referencedTaskTag) as ScsiTask | undefined;
      return t?.lu ? [t.lu] : [];
    }
    case TmfFunction.AbortTaskSet:
    case TmfFunction.ClearTaskSet:
    case TmfFunction.LogicalUnitReset: {
      const lu = req.lun >= 0 ? target.luns.get(req.lun) : undefined;
      return lu ? [lu] : [];
    }
    case TmfFunction.TargetWarmReset:
    case TmfFunction.TargetColdReset:
      return [...target.luns.values()];
    default:
      return [];
  }
}

function countAbort(conn: HandlerContext, t: ScsiTask): void {
  conn.session!.io.aborts++;
  if (t.io !== null) t.io.aborts++;
}

function abortLocal(conn: HandlerContext, match: (t: ScsiTask) => boolean): number {
  const session = conn.session!;
  let n = 0;
  for (const t of [...session.tasks.values()] as ScsiTask[]) {
    if (match(t)) {
      t.aborted = true;
      countAbort(conn, t);
      dropTask(conn, t);
      n++;
    }
  }
  return n;
}

function perform(conn: HandlerContext, req: ReturnType<typeof parseTaskMgmtRequest>): TmfResponse {
  const session = conn.session!;
  const target = conn.currentTarget();
  const nexus = session.nexus;
  if (!target || !nexus) return TmfResponse.FunctionRejected;
  const lu = req.lun >= 0 ? target.luns.get(req.lun) : undefined;
  switch (req.function) {
    case TmfFunction.AbortTask: {
      const t = session.tasks.get(req.referencedTaskTag) as ScsiTask | undefined;
      if (!t || t.lun !== req.lun) {
        // RFC 7143 11.5.1: a referenced command never received but inside the window
        // counts as received and the abort completes.
        const inWindow = !snLt(req.refCmdSN, session.expCmdSN) && !snGt(req.refCmdSN, session.maxCmdSN);
        if (inWindow && snLt(req.refCmdSN, req.cmdSN)) {
          return TmfResponse.FunctionComplete;
        }
        return TmfResponse.TaskDoesNotExist;
      }
      t.aborted = true;
      countAbort(conn, t);
      if (t.lu) t.lu.abortTasks(nexus, t.itt);
      dropTask(conn, t);
      return TmfResponse.FunctionComplete;
    }
    case TmfFunction.AbortTaskSet:
    case TmfFunction.ClearTaskSet: {
      if (!lu) return TmfResponse.LunDoesNotExist;
      abortLocal(conn, (t) => t.lun === req.lun);
      lu.abortTasks(req.function === TmfFunction.ClearTaskSet ? undefined : nexus);
      return TmfResponse.FunctionComplete;
    }
    case TmfFunction.LogicalUnitReset: {
      if (!lu) return TmfResponse.LunDoesNotExist;
      abortLocal(conn, (t) => t.lun === req.lun);
      lu.reset(nexus);
      return TmfResponse.FunctionComplete;
    }
    case TmfFunction.TargetWarmReset:
    case TmfFunction.TargetColdReset: {
      abortLocal(conn, () => true);
      for (const unit of target.luns.values()) unit.reset(nexus);
      return TmfResponse.FunctionComplete;
    }
    case TmfFunction.TaskReassign:
      return TmfResponse.ReassignmentNotSupported;
    default:
      return TmfResponse.FunctionNotSupported;
  }
}
