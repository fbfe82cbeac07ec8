/** Frames a byte stream the way a connection does, for the targets that read PDUs. */
import { IscsiProtocolError } from '../../src/iscsi/errors.js';
import type { Pdu } from '../../src/iscsi/pdu/bhs.js';
import { PduParser } from '../../src/iscsi/pdu/framer.js';

export interface Framed {
  pdus: { pdu: Pdu; digestOk: boolean }[];
  /** The framing error that ended the stream, if any. */
  error: IscsiProtocolError | null;
}

/** Feeds `stream` in the given chunk sizes (0 stands for 1); the rest in one chunk. */
export function frame(stream: Buffer, digests: { header: boolean; data: boolean }, chunks: readonly number[] = [], max = 65536): Framed {
  const parser = new PduParser({ maxDataSegmentLength: max, headerDigest: digests.header, dataDigest: digests.data });
  const pdus: Framed['pdus'] = [];
  // The parser hands out views of its own buffers; a connection consumes each PDU before
  // the next feed, so copy to compare across feeds.
  const keep = (pdu: Pdu, digestOk: boolean) =>
    pdus.push({ pdu: { bhs: Buffer.from(pdu.bhs), ahs: pdu.ahs ? Buffer.from(pdu.ahs) : null, data: Buffer.from(pdu.data) }, digestOk });
  let at = 0;
  try {
    for (const c of chunks) {
      if (at >= stream.length) break;
      const n = Math.max(1, c);
      parser.feed(stream.subarray(at, at + n), keep);
      at += n;
    }
    if (at < stream.length) parser.feed(stream.subarray(at), keep);
  } catch (e) {
    if (e instanceof IscsiProtocolError) return { pdus, error: e };
    throw e;
  }
  return { pdus, error: null };
}
