/**
 * Mode parameters (SPC-4 7.5, SBC-3 6.4): the caching (08h) and control (0Ah) pages, the
 * block descriptor, MODE SENSE assembly for every page control and MODE SELECT parsing.
 */
import { invalidFieldInCdb, invalidFieldInParameterList, parameterListLengthError, savingParametersNotSupported } from './sense.js';
import type { ModeSense } from './cdb.js';
import { writeU64 } from './cdb.js';

export const enum ModePage {
  Caching = 0x08,
  Control = 0x0a,
  All = 0x3f,
}

export const enum PageControl {
  Current = 0,
  Changeable = 1,
  Default = 2,
  Saved = 3,
}

/** The mode parameters that can change. */
export interface ModeState {
  /** Write cache enabled: without it every write is FUA. */
  wce: boolean;
  /** Software write protect (control page SWP): every write is refused while set. */
  swp: boolean;
}

export const DEFAULT_MODE: ModeState = { wce: true, swp: false };

export function cachingPage(pc: number, cur: ModeState): Buffer {
  const p = Buffer.alloc(20);
  p[0] = ModePage.Caching;
  p[1] = 0x12;
  switch (pc) {
    case PageControl.Changeable:
      p[2] = 0x04;
      break;
    case PageControl.Default:
    case PageControl.Saved:
      p[2] = DEFAULT_MODE.wce ? 0x04 : 0;
      break;
    default:
      p[2] = cur.wce ? 0x04 : 0;
  }
  return p;
}

export function controlPage(pc: number, cur: ModeState): Buffer {
  const p = Buffer.alloc(12);
  p[0] = ModePage.Control;
  p[1] = 0x0a;
  if (pc === PageControl.Changeable) {
    p[4] = 0x08; // SWP
    return p;
  }
  if (pc === PageControl.Current) p[4] = cur.swp ? 0x08 : 0x00;
  p[2] = 0x02; // GLTSD; TST 000b (one task set for all nexuses), D_SENSE 0
  p[3] = 0x10; // queue algorithm modifier 1: unrestricted reordering; QERR 00b
  p[8] = 0xff; // busy timeout period: unlimited
  p[9] = 0xff;
  return p;
}

/** The pages a MODE SENSE asks for, in ascending page order. */
export function selectPages(req: ModeSense, cur: ModeState): Buffer[] {
  const pc = req.pageControl;
  const sub = req.subpageCode;
  if (req.pageCode === ModePage.All) {
    if (sub !== 0x00 && sub !== 0xff) throw invalidFieldInCdb(3);
    return [cachingPage(pc, cur), controlPage(pc, cur)];
  }
  if (sub !== 0x00 && sub !== 0xff) throw invalidFieldInCdb(3);
  switch (req.pageCode) {
    case ModePage.Caching:
      return [cachingPage(pc, cur)];
    case ModePage.Control:
      return [controlPage(pc, cur)];
    default:
      throw invalidFieldInCdb(2, 5);
  }
}

/** Whole MODE SENSE(6/10) parameter data: header, optional block descriptor, pages. */
export function modeSense(req: ModeSense, cur: ModeState, blocks: number, blockSize: number, writeProtected: boolean): Buffer {
  const pages = selectPages(req, cur);
  let desc: Buffer;
  if (req.dbd) desc = Buffer.alloc(0);
  else if (req.llbaa) {
    desc = Buffer.alloc(16);
    if (req.pageControl !== PageControl.Changeable) {
      writeU64(desc, 0, blocks);
      desc.writeUInt32BE(blockSize, 12);
    }
  } else {
    desc = Buffer.alloc(8);
    if (req.pageControl !== PageControl.Changeable) {
      desc.writeUInt32BE(blocks > 0xffffffff ? 0xffffffff : blocks, 0);
      desc.writeUIntBE(blockSize, 5, 3);
    }
  }
  // Device-specific parameter: WP bit 7, DPOFUA bit 4.
  const dsp = (writeProtected ? 0x80 : 0) | 0x10;
  const headerLen = req.ten ? 8 : 4;
  const total = headerLen + desc.length + pages.reduce((n, p) => n + p.length, 0);
  const b = Buffer.alloc(total);
  if (req.ten) {
    b.writeUInt16BE(total - 2, 0);
    b[3] = dsp;
    b[4] = req.llbaa && !req.dbd ? 0x01 : 0x00;
    b.writeUInt16BE(desc.length, 6);
  } else {
    b[0] = Math.min(255, total - 1);
    b[2] = dsp;
    b[3] = desc.length;
  }
  let at = headerLen;
  desc.copy(b, at);
  at += desc.length;
  for (const p of pages) {
    p.copy(b, at);
    at += p.length;
  }
  return b;
}

/**
 * Parse MODE SELECT parameter data against the current state and return the new state.
 * Only bits the changeable mask allows may differ from the current values.
 */
export function modeSelect(data: Buffer, ten: boolean, pf: boolean, sp: boolean, cur: ModeState, blockSize: number): ModeState {
  if (!pf) throw invalidFieldInCdb(1, 4);
  if (sp) throw savingParametersNotSupported();
  const headerLen = ten ? 8 : 4;
  if (data.length === 0) return cur;
  if (data.length < headerLen) throw parameterListLengthError();
  const descLen = ten ? data.readUInt16BE(6) : data[3]!;
  const longLba = ten && (data[4]! & 0x01) !== 0;
  let at = headerLen;
  if (at + descLen > data.length) throw parameterListLengthError();
  const descSize = longLba ? 16 : 8;
  if (descLen % descSize !== 0) throw invalidFieldInParameterList(ten ? 6 : 3);
  for (let d = at; d < at + descLen; d += descSize) {
    const bl = longLba ? data.readUInt32BE(d + 12) : data.readUIntBE(d + 5, 3);
    if (bl !== 0 && bl !== blockSize) throw invalidFieldInParameterList(d + (longLba ? 12 : 5));
  }
  at += descLen;
  const next: ModeState = { ...cur };
  while (at < data.length) {
    if (at + 2 > data.length) throw parameterListLengthError();
    const code = data[at]! & 0x3f;
    if (data[at]! & 0x40) throw invalidFieldInParameterList(at, 6); // SPF: no subpages
    const len = data[at + 1]!;
    if (at + 2 + len > data.length) throw parameterListLengthError();
    const page = data.subarray(at, at + 2 + len);
    let current: Buffer;
    let mask: Buffer;
    if (code === ModePage.Caching) {
      current = cachingPage(PageControl.Current, cur);
      mask = cachingPage(PageControl.Changeable, cur);
    } else if (code === ModePage.Control) {
      current = controlPage(PageControl.Current, cur);
      mask = controlPage(PageControl.Changeable, cur);
    } else throw invalidFieldInParameterList(at);
    if (len !== current[1]) throw invalidFieldInParameterList(at + 1);
    for (let i = 2; i < page.length; i++) {
      if ((page[i]! & ~mask[i]!) !== (current[i]! & ~mask[i]!)) throw invalidFieldInParameterList(at + i);
    }
    if (code === ModePage.Caching) next.wce = (page[2]! & 0x04) !== 0;
    if (code === ModePage.Control) next.swp = (page[4]! & 0x08) !== 0;
    at += 2 + len;
  }
  return next;
}
