/**
 * Reads the request/response examples out of the FreeNAS v1.0 seed document (a copy in
 * fixtures/), so the replay test checks the document itself, not a transcription.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SeedExample {
  method: string;
  path: string;
  /** Raw request body text as the seed shows it ('' when none). */
  requestBody: string;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/test/api -> test/api/fixtures (the .rst is not compiled). */
export const SEED_FILE = path.resolve(here, '../../../test/api/fixtures/freenas-v1-iscsi-api.rst');

export function readSeedExamples(file = SEED_FILE): SeedExample[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks: string[][] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i]!.trim() !== '.. sourcecode:: http') continue;
    const block: string[] = [];
    let j = i + 1;
    // The block is every following line indented deeper than the directive, or blank.
    for (; j < lines.length; j += 1) {
      const line = lines[j]!;
      if (line.trim() !== '' && !/^\s{6,}/.test(line)) break;
      block.push(line);
    }
    blocks.push(block);
    i = j - 1;
  }
  const examples: SeedExample[] = [];
  for (let k = 0; k + 1 < blocks.length; k += 2) {
    const req = parseBlock(blocks[k]!);
    const res = parseBlock(blocks[k + 1]!);
    const [method, reqPath] = req.start.split(/\s+/);
    const status = Number(res.start.split(/\s+/)[1]);
    examples.push({
      method: method!,
      path: reqPath!,
      requestBody: req.body,
      status,
      responseHeaders: res.headers,
      responseBody: res.body,
    });
  }
  return examples;
}

function parseBlock(block: string[]): { start: string; headers: Record<string, string>; body: string } {
  const content = block.map((l) => l.trim());
  while (content.length && content[0] === '') content.shift();
  const start = content.shift() ?? '';
  const headers: Record<string, string> = {};
  while (content.length && content[0] !== '') {
    const line = content.shift()!;
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { start, headers, body: content.join('\n').trim() };
}
