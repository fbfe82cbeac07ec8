/**
 * Test harness: a TargetCatalog built in the test, real logical units over memory
 * backstores (or a tiny in-test LU), and an IscsiTargetServer behind a TCP listener on
 * 127.0.0.1:0.
 */
import net from 'node:net';
import pino from 'pino';
import type { AuthPolicy, PortalAddress, TargetCatalog, TargetGlobals, TargetNode } from '../../src/iscsi/catalog.js';
import { IscsiTargetServer } from '../../src/iscsi/target-server.js';
import type { LogicalUnit, ScsiCommand, ScsiResult } from '../../src/scsi/types.js';
import { createLogicalUnit } from '../../src/scsi/logical-unit.js';
import { openBackstore } from '../../src/backstore/open.js';
import type { AuthExchangeFactory } from '../../src/iscsi/login.js';
import type { IscsiLimits } from '../../src/iscsi/limits.js';
import { IscsiInitiator } from '../../src/initiator/client.js';

export const NO_AUTH: AuthPolicy = { method: 'None', credentials: [] };

export function globals(over: Partial<TargetGlobals> = {}): TargetGlobals {
  return {
    maxRecvDataSegmentLength: 262144,
    firstBurstLength: 65536,
    maxBurstLength: 262144,
    maxOutstandingR2T: 4,
    maxConnections: 4,
    maxSessions: 64,
    defaultTime2Wait: 2,
    defaultTime2Retain: 20,
    nopInInterval: 0,
    ioTimeout: 30,
    discoveryAuth: NO_AUTH,
    ...over,
  };
}

export interface TestTargetSpec {
  name: string;
  alias?: string | null;
  portalGroupTag?: number;
  /** The catalog's key for the portal group; default: the tag. */
  portalGroup?: number;
  luns: Map<number, LogicalUnit>;
  auth?: AuthPolicy;
  digest?: 'Auto' | 'None' | 'CRC32C';
  queueDepth?: number;
  admits?: (initiatorName: string, address: string) => boolean;
  serviceAvailable?: boolean;
}

export class TestCatalog implements TargetCatalog {
  g: TargetGlobals;
  readonly nodes = new Map<string, TargetNode>();
  portals: PortalAddress[] = [];
  constructor(g: TargetGlobals) {
    this.g = g;
  }
  add(spec: TestTargetSpec): TargetNode {
    const node: TargetNode = {
      name: spec.name,
      alias: spec.alias ?? null,
      portalGroup: spec.portalGroup ?? spec.portalGroupTag ?? 1,
      portalGroupTag: spec.portalGroupTag ?? 1,
      luns: spec.luns,
      auth: spec.auth ?? NO_AUTH,
      digest: spec.digest ?? 'Auto',
      queueDepth: spec.queueDepth ?? 32,
      admits: spec.admits ?? (() => true),
      ...(spec.serviceAvailable === undefined ? {} : { serviceAvailable: spec.serviceAvailable }),
    };
    this.nodes.set(node.name, node);
    return node;
  }
  globals(): TargetGlobals {
    return this.g;
  }
  target(name: string): TargetNode | undefined {
    return this.nodes.get(name);
  }
  targetsInGroup(portalGroup: number): readonly TargetNode[] {
    return [...this.nodes.values()].filter((n) => n.portalGroup === portalGroup);
  }
  portalAddresses(_tag: number): readonly PortalAddress[] {
    return this.portals;
  }
}

export async function memoryLu(sizeBytes = 16 * 1024 * 1024, blockSize = 512, serial = 'SER0001'): Promise<LogicalUnit> {
  const backstore = await openBackstore({ kind: 'memory', sizeBytes });
  return createLogicalUnit({
    serial,
    naa: '6001405a1b2c3d4e',
    vendor: 'SANBOX',
    product: 'TEST DISK',
    revision: '0001',
    blockSize,
    readOnly: false,
    rotationRate: 1,
    thin: false,
    backstore,
  });
}

/** An LU that answers every command after `delayMs`, recording commands (tests of ordering/abort). */
export class ScriptedLu implements LogicalUnit {
  readonly seen: ScsiCommand[] = [];
  aborts = 0;
  resets = 0;
  gone = 0;
  constructor(
    public answer: (cmd: ScsiCommand) => ScsiResult | Promise<ScsiResult>,
    public delayMs = 0,
  ) {}
  async execute(cmd: ScsiCommand): Promise<ScsiResult> {
    this.seen.push(cmd);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return this.answer(cmd);
  }
  abortTasks(): number {
    this.aborts++;
    return 0;
  }
  /** Its commands are not aborted (abortTasks only counts), so none is left to wait for. */
  async abortsSettled(): Promise<void> {}
  reset(): void {
    this.resets++;
  }
  nexusGone(): void {
    this.gone++;
  }
  async changeMedium(): Promise<void> {}
  async capacityChanged(): Promise<void> {}
  async close(): Promise<void> {}
}

export interface Running {
  server: IscsiTargetServer;
  catalog: TestCatalog;
  port: number;
  listener: net.Server;
  stop(): Promise<void>;
}

export interface StartTargetOptions {
  portalGroupTag?: number;
  host?: string;
  authExchange?: AuthExchangeFactory;
  limits?: Partial<IscsiLimits>;
  countIo?: boolean;
  /** false: the connections read with 'data' events (the fallback of read-in-place.ts). */
  readInPlace?: boolean;
}

export async function startTarget(catalog: TestCatalog, opts: StartTargetOptions = {}): Promise<Running> {
  const logger = pino({ level: process.env.SANBOX_TEST_LOG ?? 'silent' });
  const server = new IscsiTargetServer({
    catalog,
    logger,
    ...(opts.authExchange ? { authExchange: opts.authExchange } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.countIo === undefined ? {} : { countIo: opts.countIo }),
    ...(opts.readInPlace === undefined ? {} : { readInPlace: opts.readInPlace }),
  });
  const host = opts.host ?? '127.0.0.1';
  const tag = opts.portalGroupTag ?? 1;
  let port = 0;
  const listener = net.createServer((sock) => server.handleConnection(sock, { portalGroup: tag, portalGroupTag: tag, listen: { host, port } }));
  await new Promise<void>((resolve) => listener.listen(0, host === '0.0.0.0' ? '127.0.0.1' : host, resolve));
  port = (listener.address() as net.AddressInfo).port;
  if (catalog.portals.length === 0) catalog.portals = [{ host, port }];
  return {
    server,
    catalog,
    port,
    listener,
    async stop() {
      await new Promise<void>((resolve) => {
        listener.close(() => resolve());
        void server.close();
      });
    },
  };
}

/**
 * A session that does correct I/O beside an attack: logged in, past its power-on unit
 * attention, with `golden` written at LBA 0. `stillWorks()` reads it back; attack tests
 * call it after each attack.
 */
export class HealthySession {
  private constructor(
    readonly initiator: IscsiInitiator,
    private readonly golden: Buffer,
  ) {}

  static async open(port: number, targetName: string, golden: Buffer, initiatorName = 'iqn.2026-11.test.sanbox:healthy'): Promise<HealthySession> {
    const c = await IscsiInitiator.connect('127.0.0.1', port);
    await c.login({ initiatorName, targetName, isid: Buffer.from('80000000beef', 'hex') });
    for (let i = 0; i < 3 && (await c.scsi(0, Buffer.alloc(6))).status !== 0; i++);
    const w = await c.write10(0, 0, golden);
    if (w.status !== 0) throw new Error(`the healthy session could not write: status ${w.status}`);
    return new HealthySession(c, golden);
  }

  async stillWorks(): Promise<void> {
    const r = await this.initiator.read10(0, 0, this.golden.length / 512);
    if (r.status !== 0 || !r.data.equals(this.golden)) {
      throw new Error(`the healthy session no longer reads back what it wrote (status ${r.status})`);
    }
  }

  close(): Promise<number> {
    return this.initiator.logout();
  }
}
