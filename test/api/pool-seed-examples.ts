/**
 * Reads the examples out of the share-pool seed (a copy in fixtures/): for each API, its
 * method, path, the request body (or query) and the normal answer, so the replay test
 * checks the document itself, not a transcription.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PoolSeedExample {
  method: 'GET' | 'POST';
  /** Under /v1/pool/share, e.g. "/list". */
  path: string;
  /** The request body; for a GET, the query string's fields. */
  request: Record<string, unknown>;
  response: Record<string, unknown>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const POOL_SEED_FILE = path.resolve(here, '../../../test/api/fixtures/share-pool-api.zh.md');

export function readPoolSeedExamples(file = POOL_SEED_FILE): PoolSeedExample[] {
  const text = fs.readFileSync(file, 'utf8');
  const sections = text.split(/^## \/v1\/pool\/share/m).slice(1);
  return sections.map((section) => {
    const apiPath = section.split('\n')[0]!.trim();
    const method = /### 请求类型\s+(GET|POST)/.exec(section)![1] as 'GET' | 'POST';
    const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
    // Blocks: the example URL, then (POST) the body, then the normal answer.
    const url = new URL(blocks[0]!);
    const request = method === 'POST' ? (JSON.parse(blocks[1]!) as Record<string, unknown>) : Object.fromEntries(url.searchParams);
    const response = JSON.parse(blocks[method === 'POST' ? 2 : 1]!) as Record<string, unknown>;
    return { method, path: apiPath, request, response };
  });
}
