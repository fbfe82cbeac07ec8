/**
 * The iSCSI target: owns connections and sessions, decides session creation,
 * reinstatement and MC/S joins at login, and answers the data plane's queries.
 * Listeners (dataplane/) hand accepted sockets to `handleConnection`.
 */
import type net from 'node:net';
import type { Logger } from 'pino';
import type { PortalContext, TargetCatalog } from './catalog.js';
import { chapAuthExchange } from './auth.js';
import { Connection, type ConnectionHost } from './connection.js';
import { LoginStatus, loginError } from './errors.js';
import type { AuthExchangeFactory, LoginState } from './login.js';
import type { Negotiated } from './params.js';
import { Session, type SessionInfo } from './session.js';
import type { ScsiTask } from './task-state.js';
import { DEFAULT_ISCSI_LIMITS, type IscsiLimits } from './limits.js';
import { IoBudget } from './io-budget.js';
import { RefusalLog } from './refusals.js';
import { unmapAddress } from './address.js';
import { portalLabel, TargetCounters, type TargetCountersSnapshot } from './counters.js';

export type { SessionInfo } from './session.js';

/** Process-wide limits and their use now (the domain's TargetLoadStatus has this shape). */
export interface TargetLoad {
  connections: number;
  maxConnections: number;
  loggingIn: number;
  maxLoggingIn: number;
  ioBytes: number;
  ioBudgetBytes: number;
  ioWaiting: number;
}

export interface IscsiTargetServerOptions {
  catalog: TargetCatalog;
  logger: Logger;
  /** The security stage's authentication; CHAP (auth.ts over chap.ts) unless replaced. */
  authExchange?: AuthExchangeFactory;
  /** Process-wide limits; DEFAULT_ISCSI_LIMITS for what is not given. */
  limits?: Partial<IscsiLimits>;
  /** Count every command per LU and session (default true); false only to measure what counting costs. */
  countIo?: boolean;
  /** Socket reads into the parser's buffers (read-in-place.ts; default true); false: Node's buffer per read. */
  readInPlace?: boolean;
}

export class IscsiTargetServer {
  private readonly catalog: TargetCatalog;
  private readonly logger: Logger;
  private readonly host: ConnectionHost;
  private readonly connections = new Set<Connection>();
  private readonly sessionsByTsih = new Map<number, Session>();
  private readonly sessionOf = new Map<Connection, Session>();
  /**
   * Admission is decided at a login's first PDU but a session exists only at its last:
   * each login in between holds a slot here (null: a new session; else the session it
   * joins), so interleaved logins cannot go past iscsi_maxsesh or MaxConnections.
   */
  private readonly reserved = new Map<Connection, Session | null>();
  private reservedSessions = 0;
  /** Connections still logging in, in all and by source address. */
  private readonly pending = new Set<Connection>();
  private readonly pendingByAddress = new Map<string, number>();
  private readonly refusals = new RefusalLog();
  private nextTsih = 1;
  readonly limits: IscsiLimits;
  /** Buffered Data-Out and unsent Data-In of every session (limits.ioBufferBytes). */
  readonly budget: IoBudget;
  /** Per LU, per initiator and per portal, for as long as the server runs. */
  readonly counters = new TargetCounters();

  constructor(opts: IscsiTargetServerOptions) {
    this.catalog = opts.catalog;
    this.logger = opts.logger;
    this.limits = { ...DEFAULT_ISCSI_LIMITS, ...opts.limits };
    this.budget = new IoBudget(this.limits.ioBufferBytes);
    this.host = {
      catalog: opts.catalog,
      logger: opts.logger,
      limits: this.limits,
      budget: this.budget,
      counters: this.counters,
      countIo: opts.countIo !== false,
      readInPlace: opts.readInPlace !== false,
      loggedIn: (conn) => this.leavePending(conn),
      authExchange: opts.authExchange ?? chapAuthExchange,
      admit: (conn, st) => this.admit(conn, st),
      complete: (conn, st, neg, params) => this.complete(conn, st, neg, params),
      detach: (conn) => this.detach(conn),
      closed: (conn) => this.connectionClosed(conn),
    };
  }

  handleConnection(socket: net.Socket, portal: PortalContext): void {
    const address = unmapAddress(socket.remoteAddress ?? '');
    const refusal = this.refuseConnection(address);
    if (refusal) {
      // Before any byte is read: a flood of connections costs a descriptor for an instant.
      socket.destroy();
      this.counters.connectionRefused(portalLabel(portal.listen));
      this.refusals.note(this.logger, address, refusal);
      return;
    }
    try {
      const conn = new Connection(socket, portal, this.host);
      this.connections.add(conn);
      this.pending.add(conn);
      this.pendingByAddress.set(address, (this.pendingByAddress.get(address) ?? 0) + 1);
    } catch (err) {
      this.logger.error({ err }, 'could not set up connection');
      socket.destroy();
    }
  }

  /** Why a new connection from `address` is refused at once, or null to take it. */
  private refuseConnection(address: string): string | null {
    const l = this.limits;
    if (this.connections.size >= l.maxConnections) return `connection limit ${l.maxConnections} reached`;
    if (this.pending.size >= l.pendingLogins) return `${l.pendingLogins} connections are already logging in`;
    if ((this.pendingByAddress.get(address) ?? 0) >= l.pendingLoginsPerAddress) {
      return `${l.pendingLoginsPerAddress} connections from this address are already logging in`;
    }
    return null;
  }

  private leavePending(conn: Connection): void {
    if (!this.pending.delete(conn)) return;
    const n = (this.pendingByAddress.get(conn.initiatorAddress) ?? 1) - 1;
    if (n <= 0) this.pendingByAddress.delete(conn.initiatorAddress);
    else this.pendingByAddress.set(conn.initiatorAddress, n);
  }

  /** The limits and what is in use of each, for /api/status. */
  load(): TargetLoad {
    return {
      connections: this.connections.size,
      maxConnections: this.limits.maxConnections,
      loggingIn: this.pending.size,
      maxLoggingIn: this.limits.pendingLogins,
      ioBytes: this.budget.inUse,
      ioBudgetBytes: this.budget.limit,
      ioWaiting: this.budget.waiting,
    };
  }

  dropSessions(pred: (s: { targetName: string | null; portalGroup: number | null; initiatorName: string }) => boolean, reason: string): number {
    let n = 0;
    for (const s of [...this.sessionsByTsih.values()]) {
      const t = s.target;
      if (!pred({ targetName: t ? t.name : null, portalGroup: t ? t.portalGroup : null, initiatorName: s.initiatorName })) continue;
      n++;
      this.logger.info({ tsih: s.tsih, initiator: s.initiatorName, target: s.target?.name ?? null, reason }, 'dropping session');
      for (const c of [...s.connections.values()]) (c as Connection).destroy(reason);
      this.endSession(s);
    }
    return n;
  }

  /**
   * Every connection, logged in or still logging in, ends now (the service was switched
   * off); returns how many sessions ended.
   */
  dropAll(reason: string): number {
    const n = this.dropSessions(() => true, reason);
    for (const c of [...this.pending]) c.destroy(reason);
    return n;
  }

  /** The counters now, live sessions included. */
  countersSnapshot(): TargetCountersSnapshot {
    return this.counters.snapshot(this.sessionsByTsih.values());
  }

  /** Ends the session with this TSIH now (an operator's request); false when there is none. */
  dropSession(tsih: number, reason: string): boolean {
    const s = this.sessionsByTsih.get(tsih);
    if (!s) return false;
    this.logger.info({ tsih, initiator: s.initiatorName, target: s.target?.name ?? null, reason }, 'dropping session');
    for (const c of [...s.connections.values()]) (c as Connection).destroy(reason);
    this.endSession(s);
    return true;
  }

  sessions(): SessionInfo[] {
    return [...this.sessionsByTsih.values()].map((s) => s.info());
  }

  async close(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const c of this.connections) {
      waits.push(c.whenClosed);
      // FIN after what was already written; a peer that does not close goes in 1 s.
      c.close('server shutting down', 1000);
    }
    await Promise.all(waits);
    for (const s of [...this.sessionsByTsih.values()]) this.endSession(s);
  }

  /* ------------------------------------------------------------ login decisions */

  private findSession(st: LoginState): Session | undefined {
    for (const s of this.sessionsByTsih.values()) {
      // One session per I_T nexus: the same target through another portal group is another session.
      if (s.initiatorName === st.initiatorName && s.isidHex === st.isidHex && sameTargetPort(s.target, st.target) && s.type === st.sessionType) {
        return s;
      }
    }
    return undefined;
  }

  private admit(conn: Connection, st: LoginState): { inherit?: Negotiated } {
    const g = this.catalog.globals();
    if (st.tsih === 0) {
      const existing = this.findSession(st);
      const count = this.sessionsByTsih.size - (existing ? 1 : 0) + this.reservedSessions;
      if (g.maxSessions > 0 && count >= g.maxSessions) {
        throw loginError(LoginStatus.OutOfResources, `session limit ${g.maxSessions} reached`);
      }
      this.reserve(conn, null);
      return {};
    }
    const s = this.sessionsByTsih.get(st.tsih);
    if (!s || s.initiatorName !== st.initiatorName || s.isidHex !== st.isidHex || s.type !== st.sessionType || !sameTargetPort(s.target, st.target)) {
      throw loginError(LoginStatus.SessionDoesNotExist, `no session with TSIH ${st.tsih}`);
    }
    if (s.type === 'Discovery') throw loginError(LoginStatus.CantIncludeInSession, 'discovery sessions have one connection');
    if (!s.connections.has(st.cid) && s.connections.size + s.joining >= s.params.maxConnections) {
      throw loginError(LoginStatus.TooManyConnections, `session has ${s.connections.size} connections and ${s.joining} joining`);
    }
    this.reserve(conn, s);
    return { inherit: s.params };
  }

  private reserve(conn: Connection, s: Session | null): void {
    this.unreserve(conn);
    this.reserved.set(conn, s);
    if (s) s.joining++;
    else this.reservedSessions++;
  }

  /** The login holding a slot ended: it became a session or connection, or it failed. */
  private unreserve(conn: Connection): void {
    const s = this.reserved.get(conn);
    if (s === undefined) return;
    this.reserved.delete(conn);
    if (s) s.joining--;
    else this.reservedSessions--;
  }

  private complete(conn: Connection, st: LoginState, neg: Negotiated, params: Record<string, string>): Session {
    this.unreserve(conn);
    const live = st.target ? this.catalog.target(st.target.name, st.target.portalGroup) : undefined;
    if (st.target && live === undefined) {
      // Deleted while this login was under way.
      throw loginError(LoginStatus.TargetRemoved, `target ${st.target.name} was removed`);
    }
    if (st.target && live?.serviceAvailable === false) {
      // Switched off while this login was under way.
      throw loginError(LoginStatus.ServiceUnavailable, `the iSCSI service of target ${st.target.name} is switched off`);
    }
    if (st.tsih !== 0) {
      const s = this.sessionsByTsih.get(st.tsih);
      if (!s || s.ended) throw loginError(LoginStatus.SessionDoesNotExist, `session ${st.tsih} ended during login`);
      const old = s.connections.get(st.cid);
      if (old) {
        // Connection reinstatement: the old connection with this CID goes away.
        s.connectionLeft(old);
        (old as Connection).destroy('connection reinstated');
      }
      s.connections.set(st.cid, conn);
      this.sessionOf.set(conn, s);
      return s;
    }
    const old = this.findSession(st);
    if (old) {
      // Session reinstatement (RFC 7143 6.3.5): the old session is closed first.
      this.logger.info({ tsih: old.tsih, initiator: st.initiatorName }, 'session reinstatement');
      for (const c of [...old.connections.values()]) (c as Connection).destroy('session reinstated');
      this.endSession(old);
    }
    const tsih = this.allocateTsih();
    const localPort = conn.socket.localPort ?? conn.portal.listen.port;
    const s = new Session({
      tsih,
      type: st.sessionType,
      initiatorName: st.initiatorName,
      initiatorAlias: st.initiatorAlias,
      isidHex: st.isidHex,
      target: st.target,
      params: neg,
      parameters: params,
      initiatorAddress: conn.initiatorAddress,
      portal: conn.localAddress.includes(':') ? `[${conn.localAddress}]:${localPort}` : `${conn.localAddress}:${localPort}`,
      initialCmdSN: st.initialCmdSN,
      counters: this.counters,
    });
    s.connections.set(st.cid, conn);
    this.sessionsByTsih.set(tsih, s);
    this.sessionOf.set(conn, s);
    return s;
  }

  private allocateTsih(): number {
    for (let i = 0; i < 65535; i++) {
      const t = this.nextTsih;
      this.nextTsih = this.nextTsih >= 65535 ? 1 : this.nextTsih + 1;
      if (!this.sessionsByTsih.has(t)) return t;
    }
    throw loginError(LoginStatus.OutOfResources, 'no free TSIH');
  }

  /* ------------------------------------------------------------ teardown */

  private connectionClosed(conn: Connection): void {
    this.connections.delete(conn);
    this.unreserve(conn);
    this.leavePending(conn);
    this.detach(conn);
  }

  private detach(conn: Connection): void {
    const s = this.sessionOf.get(conn);
    this.sessionOf.delete(conn);
    if (!s) return;
    if (s.connections.get(conn.cid) !== conn) return; // already replaced (reinstatement)
    s.connectionLeft(conn);
    if (s.connections.size === 0) {
      this.endSession(s);
    }
  }

  private endSession(s: Session): void {
    if (s.ended) return;
    s.ended = true;
    this.counters.sessionEnded(s);
    if (this.sessionsByTsih.get(s.tsih) === s) this.sessionsByTsih.delete(s.tsih);
    const nexus = s.nexus;
    for (const t of [...s.tasks.values()] as ScsiTask[]) {
      t.aborted = true;
    }
    s.tasks.clear();
    if (nexus && s.target) {
      for (const lu of s.target.luns.values()) {
        try {
          lu.abortTasks(nexus);
          lu.nexusGone(nexus);
        } catch (err) {
          this.logger.warn({ err }, 'logical unit failed to forget a nexus');
        }
      }
    }
  }
}

/** Same target through the same portal group (or both discovery sessions). */
function sameTargetPort(a: { name: string; portalGroup: number } | null, b: { name: string; portalGroup: number } | null): boolean {
  if (a === null || b === null) return a === b;
  return a.name === b.name && a.portalGroup === b.portalGroup;
}
