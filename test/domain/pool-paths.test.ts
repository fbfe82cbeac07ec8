import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolvePoolPath } from '../../src/domain/pool-paths.js';
import { DomainError } from '../../src/domain/errors.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-paths-'));
const pools = [{ name: 'tank', path: dir }];
fs.mkdirSync(path.join(dir, 'sub'));
fs.symlinkSync('/etc', path.join(dir, 'out'));
fs.symlinkSync(path.join(dir, 'sub'), path.join(dir, 'in'));
fs.symlinkSync('/nonexistent/target', path.join(dir, 'dangling'));

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const refused = (p: string, message: string) =>
  assert.throws(
    () => resolvePoolPath('path', p, pools),
    (e: unknown) => e instanceof DomainError && e.field === 'path' && e.message === message,
    p,
  );

test('/mnt/<pool>/... and the real directory both resolve into the pool', () => {
  assert.deepEqual(resolvePoolPath('path', '/mnt/tank/iscsi', pools), { pool: pools[0], realPath: path.join(dir, 'iscsi'), displayPath: '/mnt/tank/iscsi' });
  assert.equal(resolvePoolPath('path', `${dir}/sub/x`, pools).realPath, path.join(dir, 'sub/x'));
  assert.equal(resolvePoolPath('path', '/mnt/tank/in/x', pools).realPath, path.join(dir, 'in/x'), 'a symlink that stays inside is fine');
});

test('paths outside, with .., or through escaping symlinks are refused', () => {
  refused('/etc/passwd', 'The path must be inside a pool (/mnt/tank).');
  refused('../../x', 'The path must be absolute and inside a pool.');
  refused('/mnt/tank/../../etc/passwd', 'The path must not contain "..".');
  refused('/mnt/tank/sub/../x', 'The path must not contain "..".');
  refused('/mnt/tank/out/passwd', 'The path leads outside the pool.');
  refused('/mnt/tank/dangling', 'The path leads outside the pool.');
  refused('/mnt/tank', 'The path must name a file inside the pool, not the pool itself.');
  refused('/mnt/tankx/a', 'The path must be inside a pool (/mnt/tank).');
  refused('/mnt/tank/a\0b', 'The path must be absolute and inside a pool.');
});
