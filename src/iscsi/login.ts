/**
 * The login phase of one connection (RFC 7143 6.3): security stage (AuthMethod, with a
 * hook where CHAP plugs in), operational stage (params.ts), and the transition to full
 * feature phase. Pure with respect to I/O: `LoginMachine.handle()` takes a decoded
 * request and returns the response to send; the connection does the sending and the
 * server (through `LoginHost`) owns sessions.
 */
import type { AuthPolicy, PortalContext, TargetCatalog, TargetGlobals, TargetNode } from './catalog.js';
import { LoginStatus, loginError } from './errors.js';
import { Negotiator, type Negotiated } from './params.js';
import { Stage, type LoginRequestPdu } from './pdu/login.js';
import { parseText, serializeText, type TextPairs } from './text.js';

export type SessionType = 'Discovery' | 'Normal';

/** One step of an authentication method (CHAP) in the security stage. */
export interface AuthExchange {
  /**
   * Handle the method's keys from one security-stage request (`keys` holds only CHAP_*
   * keys; on the first call right after AuthMethod=CHAP was chosen it may be empty).
   * Returns keys to send back and whether authentication has succeeded. Throws a
   * loginError(AuthenticationFailure) when the initiator fails.
   */
  step(keys: ReadonlyMap<string, string>): { reply: TextPairs; done: boolean };
}

export interface AuthContext {
  readonly policy: AuthPolicy;
  readonly initiatorName: string;
  readonly targetName: string | null;
  readonly sessionType: SessionType;
}

/** Builds the CHAP exchange; `chap.ts` provides it. Without one, CHAP is not offered. */
export type AuthExchangeFactory = (ctx: AuthContext) => AuthExchange;

/** What login learned, handed to the host. */
export interface LoginState {
  initiatorName: string;
  initiatorAlias: string | null;
  sessionType: SessionType;
  target: TargetNode | null;
  isid: Buffer;
  isidHex: string;
  tsih: number;
  cid: number;
  /** CmdSN of the first login request: the session's initial ExpCmdSN. */
  initialCmdSN: number;
}

export interface LoginHost {
  readonly catalog: TargetCatalog;
  readonly portal: PortalContext;
  readonly initiatorAddress: string;
  readonly authExchange?: AuthExchangeFactory | undefined;
  /** First request decoded: may this session/connection be created? Throw loginError if not. */
  admit(state: LoginState): { inherit?: Negotiated };
  /** Transition to full feature: create or join the session; returns the TSIH. */
  complete(state: LoginState, negotiated: Negotiated, params: Record<string, string>): number;
}

export interface LoginReply {
  transit: boolean;
  csg: number;
  nsg: number;
  tsih: number;
  status: LoginStatus;
  data: Buffer;
  /** The connection enters full feature phase after sending this. */
  fullFeature: boolean;
}

/** Login text (all continuation PDUs of one request together) is at most this long. */
const MAX_LOGIN_TEXT = 65536;

const SECURITY_KEYS = new Set(['InitiatorName', 'InitiatorAlias', 'TargetName', 'SessionType', 'AuthMethod']);

export class LoginMachine {
  private readonly host: LoginHost;
  private stage = -1;
  private pendingText: Buffer[] = [];
  private pendingBytes = 0;
  private state: LoginState | null = null;
  private negotiator: Negotiator | null = null;
  private authMethod: 'None' | 'CHAP' | null = null;
  private auth: AuthExchange | null = null;
  private authenticated = false;
  private sentTpgt = false;
  private sentAlias = false;
  private firstIsid: Buffer | null = null;

  constructor(host: LoginHost) {
    this.host = host;
  }

  get login(): LoginState | null {
    return this.state;
  }
  get negotiated(): Negotiated | null {
    return this.negotiator?.values ?? null;
  }

  /** Handle one Login Request. Throws IscsiProtocolError with a loginStatus on failure. */
  handle(req: LoginRequestPdu, data: Buffer): LoginReply {
    if (this.firstIsid === null) {
      if (req.versionMin > 0) throw loginError(LoginStatus.UnsupportedVersion, `version ${req.versionMin}-${req.versionMax}`);
      this.firstIsid = req.isid;
    } else if (!req.isid.equals(this.firstIsid)) {
      throw loginError(LoginStatus.InitiatorError, 'ISID changed during login');
    }
    if (req.csg === 2 || req.csg === Stage.FullFeature) throw loginError(LoginStatus.InitiatorError, `bad CSG ${req.csg}`);
    if (this.stage === -1) this.stage = req.csg;
    if (req.csg !== this.stage) throw loginError(LoginStatus.InitiatorError, `CSG ${req.csg} while in stage ${this.stage}`);
    if (req.transit && (req.nsg <= req.csg || req.nsg === 2)) {
      throw loginError(LoginStatus.InitiatorError, `bad NSG ${req.nsg} from CSG ${req.csg}`);
    }

    // Text spanning several PDUs (C bit): collect, answer with an empty response.
    if (req.cont) {
      if (req.transit) throw loginError(LoginStatus.InitiatorError, 'T and C bits both set');
      if (this.pendingBytes + data.length > MAX_LOGIN_TEXT) {
        this.pendingText = [];
        throw loginError(LoginStatus.InitiatorError, 'login text too long');
      }
      this.pendingText.push(Buffer.from(data));
      this.pendingBytes += data.length;
      return { transit: false, csg: this.stage, nsg: 0, tsih: 0, status: LoginStatus.Success, data: Buffer.alloc(0), fullFeature: false };
    }
    let text = data;
    if (this.pendingText.length) {
      if (this.pendingBytes + data.length > MAX_LOGIN_TEXT) throw loginError(LoginStatus.InitiatorError, 'login text too long');
      text = Buffer.concat([...this.pendingText, data]);
      this.pendingText = [];
      this.pendingBytes = 0;
    }
    let pairs: TextPairs;
    try {
      pairs = parseText(text);
    } catch (e) {
      throw loginError(LoginStatus.InitiatorError, (e as Error).message);
    }
    const keys = new Map(pairs);

    const out: TextPairs = [];
    if (this.state === null) this.begin(req, keys);
    const st = this.state!;
    if (this.negotiator === null) {
      const admitted = this.host.admit(st);
      const globals: TargetGlobals = this.host.catalog.globals();
      this.negotiator = new Negotiator({
        globals,
        digest: st.target ? st.target.digest : 'Auto',
        discovery: st.sessionType === 'Discovery',
        leading: st.tsih === 0,
        ...(admitted.inherit ? { inherit: admitted.inherit } : {}),
      });
    }
    if (!this.sentTpgt && st.sessionType === 'Normal') {
      this.sentTpgt = true;
      out.push(['TargetPortalGroupTag', String(this.host.portal.portalGroupTag)]);
    }

    if (this.stage === Stage.Security) {
      return this.security(req, keys, pairs, out);
    }
    return this.operational(req, pairs, out);
  }

  private begin(req: LoginRequestPdu, keys: Map<string, string>): void {
    const initiatorName = keys.get('InitiatorName');
    if (!initiatorName) throw loginError(LoginStatus.MissingParameter, 'InitiatorName missing');
    if (this.host.catalog.globals().serviceAvailable === false) {
      throw loginError(LoginStatus.ServiceUnavailable, 'the iSCSI service is switched off');
    }
    const typ = keys.get('SessionType') ?? 'Normal';
    if (typ !== 'Normal' && typ !== 'Discovery') throw loginError(LoginStatus.SessionTypeNotSupported, `SessionType ${typ}`);
    let target: TargetNode | null = null;
    if (typ === 'Normal') {
      const tn = keys.get('TargetName');
      if (!tn) throw loginError(LoginStatus.MissingParameter, 'TargetName missing');
      const node = this.host.catalog.target(tn, this.host.portal.portalGroup);
      if (!node || node.portalGroup !== this.host.portal.portalGroup) {
        throw loginError(LoginStatus.NotFound, `target ${tn} not found`);
      }
      if (node.serviceAvailable === false) {
        throw loginError(LoginStatus.ServiceUnavailable, `the iSCSI service of target ${tn} is switched off`);
      }
      if (!node.admits(initiatorName, this.host.initiatorAddress)) {
        throw loginError(LoginStatus.AuthorizationFailure, `initiator ${initiatorName} not admitted to ${tn}`);
      }
      target = node.viewFor ? node.viewFor(initiatorName, this.host.initiatorAddress) : node;
    }
    this.state = {
      initiatorName,
      initiatorAlias: keys.get('InitiatorAlias') ?? null,
      sessionType: typ,
      target,
      isid: req.isid,
      isidHex: req.isid.toString('hex'),
      tsih: req.tsih,
      cid: req.cid,
      initialCmdSN: req.cmdSN,
    };
  }

  private policy(): AuthPolicy {
    const st = this.state!;
    return st.target ? st.target.auth : this.host.catalog.globals().discoveryAuth;
  }

  /** Is authentication required by the policy (no None allowed)? */
  private chapRequired(): boolean {
    const m = this.policy().method;
    return m === 'CHAP' || m === 'CHAP Mutual';
  }

  private security(req: LoginRequestPdu, keys: Map<string, string>, pairs: TextPairs, out: TextPairs): LoginReply {
    const st = this.state!;
    const offered = keys.get('AuthMethod');
    let justChosen = false;
    if (offered !== undefined && this.authMethod === null) {
      const choices = offered.split(',');
      const policy = this.policy();
      const chapOk = this.host.authExchange !== undefined && policy.method !== 'None' && policy.credentials.length > 0;
      let chosen: 'None' | 'CHAP' | null = null;
      for (const c of choices) {
        if (c === 'CHAP' && chapOk) {
          chosen = 'CHAP';
          break;
        }
        if (c === 'None' && !this.chapRequired()) {
          chosen = 'None';
          break;
        }
      }
      if (chosen === null) {
        // RFC 7143 6.2: no acceptable value -> Reject; the login cannot authenticate.
        throw loginError(LoginStatus.AuthenticationFailure, `no acceptable AuthMethod in ${offered}`);
      }
      this.authMethod = chosen;
      out.push(['AuthMethod', chosen]);
      if (chosen === 'None') this.authenticated = true;
      else {
        justChosen = true;
        this.auth = this.host.authExchange!({
          policy: this.policy(),
          initiatorName: st.initiatorName,
          targetName: st.target?.name ?? null,
          sessionType: st.sessionType,
        });
      }
    }
    const chapKeys = new Map<string, string>();
    for (const [k, v] of pairs) {
      if (k.startsWith('CHAP_')) chapKeys.set(k, v);
      else if (!SECURITY_KEYS.has(k)) {
        // Operational keys in the security stage: negotiate them as well (lenient).
        if (Negotiator.handles(k)) out.push(...this.negotiator!.respond([[k, v]]));
        else out.push([k, 'NotUnderstood']);
      }
    }
    if (this.auth && !justChosen && !this.authenticated) {
      const r = this.auth.step(chapKeys);
      out.push(...r.reply);
      if (r.done) this.authenticated = true;
    } else if (chapKeys.size > 0 && !this.auth) {
      throw loginError(LoginStatus.InitiatorError, 'CHAP keys without AuthMethod=CHAP');
    }
    if (this.authMethod === null && this.chapRequired()) {
      if (req.transit) throw loginError(LoginStatus.AuthenticationFailure, 'authentication required');
    }
    if (this.authMethod === null && !this.chapRequired() && req.transit) {
      // Initiator skipped AuthMethod but the policy allows None.
      this.authenticated = true;
    }
    if (req.transit && this.authenticated) {
      this.stage = req.nsg;
      if (req.nsg === Stage.FullFeature) return this.finish(out, Stage.Security);
      return this.reply(out, true, Stage.Security, req.nsg);
    }
    return this.reply(out, false, Stage.Security, 0);
  }

  private operational(req: LoginRequestPdu, pairs: TextPairs, out: TextPairs): LoginReply {
    const st = this.state!;
    if (this.authMethod === null && this.chapRequired()) {
      throw loginError(LoginStatus.AuthenticationFailure, 'authentication required');
    }
    const neg = this.negotiator!;
    const ops: TextPairs = [];
    for (const [k, v] of pairs) {
      if (SECURITY_KEYS.has(k) && k !== 'AuthMethod') continue;
      if (k === 'AuthMethod' || k.startsWith('CHAP_')) {
        throw loginError(LoginStatus.InitiatorError, `${k} outside the security stage`);
      }
      ops.push([k, v]);
    }
    out.push(...neg.respond(ops));
    out.push(...neg.targetOffers(out));
    if (!this.sentAlias && st.target?.alias) {
      this.sentAlias = true;
      out.push(['TargetAlias', st.target.alias]);
    }
    if (req.transit && !neg.awaitingAnswers) {
      return this.finish(out, Stage.Operational);
    }
    return this.reply(out, false, Stage.Operational, 0);
  }

  private finish(out: TextPairs, csg: number): LoginReply {
    const neg = this.negotiator!;
    const values = neg.finish();
    const tsih = this.host.complete(this.state!, values, neg.describe());
    this.stage = Stage.FullFeature;
    return { transit: true, csg, nsg: Stage.FullFeature, tsih, status: LoginStatus.Success, data: serializeText(out), fullFeature: true };
  }

  private reply(out: TextPairs, transit: boolean, csg: number, nsg: number): LoginReply {
    return { transit, csg, nsg, tsih: this.state?.tsih ?? 0, status: LoginStatus.Success, data: serializeText(out), fullFeature: false };
  }
}
