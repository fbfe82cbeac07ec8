/**
 * Runs the netapp.ontap playbooks of fixtures/ontap (NetApp's own Ansible collection, in
 * Debian's `ansible`) against a sanbox's ONTAP API over HTTPS, with the json callback.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_ADMIN_PASSWORD, TEST_ADMIN_USER, type TestSanbox } from '../support/sanbox.js';
import { run } from './peers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(here, '../../../test/e2e/fixtures/ontap');

export interface PlayStats {
  ok: number;
  changed: number;
  failures: number;
  unreachable: number;
}

export interface Vars {
  svm_comment: string;
  service_state: 'started' | 'stopped';
  volume_mb: number;
  lun_mb: number;
  initiators: string[];
  /** The volume's aggregate: a pool's name (`default` is the first pool). */
  aggregate: string;
  /** Where the SVM's LIF listens. */
  lif_address: string;
}

export const FIRST: Vars = {
  svm_comment: 'made by ansible',
  service_state: 'started',
  volume_mb: 100,
  lun_mb: 20,
  initiators: ['iqn.2026-01.org.example:host1'],
  aggregate: 'default',
  lif_address: '127.0.0.2',
};

/** Runs a playbook of fixtures/ontap with the json callback; its stats and failed task messages. */
export async function playbook(sb: TestSanbox, book: string, vars: Partial<Vars>): Promise<PlayStats & { messages: string[] }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-ansible-'));
  try {
    const extra = { ...FIRST, ...vars, https_port: new URL(sb.httpsUrl!).port, user: TEST_ADMIN_USER, password: TEST_ADMIN_PASSWORD };
    const r = await run('ansible-playbook', ['-i', 'localhost,', '-c', 'local', '-e', JSON.stringify(extra), path.join(FIXTURES, book)], {
      timeoutMs: 240_000,
      env: {
        ANSIBLE_STDOUT_CALLBACK: 'json',
        ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
        ANSIBLE_LOCAL_TEMP: work,
        ANSIBLE_HOME: work,
        ANSIBLE_RETRY_FILES_ENABLED: 'false',
        ANSIBLE_NOCOLOR: '1',
      },
    });
    const report = JSON.parse(r.stdout) as {
      stats: Record<string, PlayStats>;
      plays: { tasks: { task: { name: string }; hosts: Record<string, { failed?: boolean; msg?: string }> }[] }[];
    };
    const messages = report.plays.flatMap((p) => p.tasks.flatMap((t) => Object.values(t.hosts).flatMap((h) => (h.failed ? [`${t.task.name}: ${h.msg}`] : []))));
    return { ...report.stats.localhost!, messages };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The play failed nowhere and changed exactly `changed` tasks. */
export function assertPlay(stats: PlayStats & { messages: string[] }, changed: number, what: string): void {
  assert.deepEqual({ failures: stats.failures, messages: stats.messages }, { failures: 0, messages: [] }, what);
  assert.equal(stats.changed, changed, `${what}: tasks changed`);
}
