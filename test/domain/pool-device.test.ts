import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mountPointOf, namesDevice, resolveDevice } from '../../src/domain/pool-device.js';

test('a bare name resolves under the by-id root to the real device; a /dev path as it is; anything else is none', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-byid-'));
  try {
    fs.symlinkSync('/dev/null', path.join(root, 'not-a-disk'));
    const loops = fs.readdirSync('/dev').filter((d) => /^loop\d+$/.test(d));
    if (loops.length) {
      fs.symlinkSync(`../../dev/${loops[0]}`, path.join(root, 'wwn-0x5000c500ad9285bb'));
      fs.symlinkSync(`/dev/${loops[0]}`, path.join(root, 'wwn-absolute'));
      assert.equal(resolveDevice('wwn-0x5000c500ad9285bb', root), `/dev/${loops[0]}`, 'a relative link, as udev makes them');
      assert.equal(resolveDevice('wwn-absolute', root), `/dev/${loops[0]}`);
      assert.equal(resolveDevice(`/dev/${loops[0]}`, root), `/dev/${loops[0]}`);
    }
    assert.equal(resolveDevice('not-a-disk', root), null, 'a character device is no block device');
    assert.equal(resolveDevice('missing', root), null);
    assert.equal(resolveDevice('../not-a-disk', root), null, 'a bare name never climbs out of the root');
    assert.equal(resolveDevice('/dev/null', root), null);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  assert.equal(namesDevice('wwn-0x5000c500ad9285bb'), true);
  assert.equal(namesDevice('/dev/sdb'), true);
  assert.equal(namesDevice('/srv/pool'), false);
});

test('a device is mounted when it or one of its partitions is a mount source', () => {
  assert.equal(mountPointOf('/dev/sanbox-x', '/dev/sanbox-x /srv/a\\040b ext4 rw 0 0\n'), '/srv/a b');
  assert.equal(mountPointOf('/dev/sanbox-x', 'proc /proc proc rw 0 0\n/dev/sanbox-y /srv ext4 rw 0 0\n'), null);
});
