/**
 * The FreeNAS v1.0 resources the CLI manages (targets, extents, LUN mappings): every page
 * of a list, and one object by id or by name.
 */
import { InvalidArgumentError } from 'commander';
import { CliError, type Client, EXIT_FAILED } from './http.js';

export const FREENAS = '/api/v1.0/services/iscsi';

export type Obj = Record<string, unknown> & { id: number };

/** Every object of a resource (FreeNAS pages at most 1000 at a time). */
export async function listAll(client: Client, resource: string): Promise<Obj[]> {
  const out: Obj[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await client.call<Obj[]>('GET', `${FREENAS}/${resource}/?limit=1000&offset=${offset}`);
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

/** An object named by its id (digits) or by the value of `nameField`. */
export async function find(client: Client, resource: string, nameField: string, ref: string, what: string): Promise<Obj> {
  if (/^\d+$/.test(ref)) return client.call<Obj>('GET', `${FREENAS}/${resource}/${ref}/`);
  const all = await listAll(client, resource);
  const hit = all.find((o) => o[nameField] === ref);
  if (!hit) throw new CliError(EXIT_FAILED, `no ${what} named "${ref}"`);
  return hit;
}

export async function remove(client: Client, resource: string, id: number): Promise<void> {
  await client.call('DELETE', `${FREENAS}/${resource}/${id}/`);
}

/** A whole number option (commander hands over text). */
export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('Not a whole number.');
  return Number(value);
}
