/** IoBudget: arrival order, the overdraft, and each session's share (iscsi/io-budget.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BudgetAccount, IoBudget } from '../../src/iscsi/io-budget.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

test('commands that do not fit wait in arrival order and are granted as bytes come back', async () => {
  const b = new IoBudget(100, 1);
  const a = new BudgetAccount();
  assert.ok(b.tryTake(60, a));
  const granted: string[] = [];
  b.wait(50, a, () => granted.push('big'));
  assert.equal(b.tryTake(10, a), false, 'nobody overtakes a waiting command');
  b.wait(10, a, () => granted.push('small'));
  b.give(60, a);
  await tick();
  assert.deepEqual(granted, ['big', 'small']);
  assert.equal(b.inUse, 60);
});

test('with nothing held any command fits; unsolicited bytes are taken past the limit', () => {
  const b = new IoBudget(100, 1);
  const a = new BudgetAccount();
  assert.ok(b.tryTake(500, a), 'alone, a command larger than the budget runs');
  b.give(500, a);
  b.force(150, a);
  assert.equal(b.inUse, 150);
  assert.equal(b.tryTake(1, a), false);
});

test('a session past its share waits in its own line; other sessions go on', async () => {
  const b = new IoBudget(100, 0.25); // share 25
  const greedy = new BudgetAccount();
  const other = new BudgetAccount();
  assert.ok(b.tryTake(20, greedy));
  assert.equal(b.tryTake(20, greedy), false, 'past its share');
  const granted: string[] = [];
  b.wait(20, greedy, () => granted.push('greedy'));
  assert.ok(b.tryTake(20, other), "another session is not held up by the first one's line");
  assert.equal(b.waiting, 1);
  b.give(20, greedy);
  await tick();
  assert.deepEqual(granted, ['greedy'], 'its own line moves once its share frees up');
  assert.equal(greedy.held, 20);
});

test('a cancelled waiter leaves its line and the next one moves up', async () => {
  const b = new IoBudget(100, 1);
  const a = new BudgetAccount();
  assert.ok(b.tryTake(90, a));
  const granted: string[] = [];
  const first = b.wait(50, a, () => granted.push('first'));
  b.wait(5, a, () => granted.push('second'));
  b.cancel(first);
  await tick();
  assert.deepEqual(granted, ['second']);
  assert.equal(b.waiting, 0);
});
