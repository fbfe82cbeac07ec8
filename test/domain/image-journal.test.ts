/**
 * ImageJournal: the images of creates a killed process never committed are removed at the
 * next start, committed ones and files sanbox did not make are kept. The crash test
 * (test/reliability) finds the window by chance; this states it deterministically.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createSparseFile, ImageJournal } from '../../src/domain/extent-files.js';

test('a create interrupted before its commit leaves a record; recover removes that image only', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-journal-'));
  try {
    const journal = new ImageJournal(path.join(dir, 'creating'));
    const pool = path.join(dir, 'pool');
    fs.mkdirSync(pool);
    fs.writeFileSync(path.join(pool, 'user-file'), "not sanbox's");
    // "killed" after the image was made, before the commit: the undo never runs.
    createSparseFile('path', path.join(pool, 'lost'), 1 << 20, journal);
    // committed: the transaction's committed hook forgets the record.
    const kept = createSparseFile('path', path.join(pool, 'kept'), 1 << 20, journal);
    kept.committed?.();
    // made, and claimed by an extent that committed, but killed before the hook ran.
    createSparseFile('path', path.join(pool, 'claimed'), 1 << 20, journal);

    const removed = journal.recover((p) => p === path.join(pool, 'claimed'));
    assert.deepEqual(removed, [path.join(pool, 'lost')]);
    assert.deepEqual(fs.readdirSync(pool).sort(), ['claimed', 'kept', 'user-file']);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'creating')), [], 'every record is settled');
    assert.deepEqual(
      journal.recover(() => false),
      [],
      'and a second start finds nothing to do',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed create (the name is taken) leaves no record behind', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-journal-'));
  try {
    const journal = new ImageJournal(path.join(dir, 'creating'));
    fs.writeFileSync(path.join(dir, 'taken'), "someone else's");
    assert.throws(() => createSparseFile('path', path.join(dir, 'taken'), 1 << 20, journal), /file/);
    assert.deepEqual(
      journal.recover(() => false),
      [],
    );
    assert.equal(fs.readFileSync(path.join(dir, 'taken'), 'utf8'), "someone else's");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an rbd image's record is kept apart: recover leaves it, images() lists it, a record that does not parse is dropped", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-journal-'));
  try {
    const creating = path.join(dir, 'creating');
    const journal = new ImageJournal(creating);
    const t0 = Date.now();
    journal.beginImage('pool-uuid', 'disk9', '/mnt/ceph/disk9');
    fs.writeFileSync(path.join(creating, 'torn'), '{"pool":');
    assert.deepEqual(
      journal.recover(() => false),
      [],
      'no file to remove',
    );
    const images = journal.images();
    assert.equal(images.length, 1);
    const [rec] = images;
    assert.deepEqual({ pool: rec!.pool, image: rec!.image, path: rec!.path }, { pool: 'pool-uuid', image: 'disk9', path: '/mnt/ceph/disk9' });
    assert.ok(rec!.at >= t0 && rec!.at <= Date.now());
    assert.equal(fs.readdirSync(creating).length, 1, 'the torn record is gone, the image record stays');
    rec!.forget();
    assert.deepEqual(fs.readdirSync(creating), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
