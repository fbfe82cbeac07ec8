/** parseVerbose: every test counted once, none lost, on output captured from iscsi-test-cu -v. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVerbose } from './iscsi-test-cu.js';

test('a "passed" followed on the same line by later output still counts (Reserve6.LUNReset)', () => {
  const out = [
    'Suite: Reserve6',
    '  Test: Simple ...passed',
    '  Test: LUNReset ...    [FAILED] RESERVE6 command: failed with sense. SENSE KEY:UNIT_ATTENTION(6)',
    'passed    [FAILED] PRIN command: failed with sense. SENSE KEY:UNIT_ATTENTION(6)',
    '    [FAILED] PRIN command: failed with sense.',
    '',
    'Suite: Sanitize',
    '  Test: BlockErase ...    [SKIPPED] --allow-sanitize flag is not set. Skipping test.',
    'passed',
    '  Test: Overwrite ...FAILED',
    '    1. test_sanitize_overwrite.c:99  - CU_FAIL("x")',
  ].join('\n');
  const r = parseVerbose(out);
  assert.deepEqual(r.passed, ['Reserve6.Simple', 'Reserve6.LUNReset']);
  assert.deepEqual([...r.skipped.keys()], ['Sanitize.BlockErase']);
  assert.deepEqual([...r.failed.keys()], ['Sanitize.Overwrite']);
});

test('a test that never prints an outcome (hung, crashed) is a failure, not left out', () => {
  const r = parseVerbose(
    ['Suite: A', '  Test: One ...passed', '  Test: Two ...    some log', '  Test: Three ...passed', '  Test: Four ...    [FAILED] x'].join('\n'),
  );
  assert.deepEqual(r.passed, ['A.One', 'A.Three']);
  assert.deepEqual([...r.failed.keys()], ['A.Two', 'A.Four']);
});

test("CUnit's summary counting more failures than the lines show is reported", () => {
  const r = parseVerbose(
    [
      'Suite: A',
      '  Test: One ...passed',
      'Run Summary:    Type  Total    Ran Passed Failed Inactive',
      '               tests      1      1      0      1        0',
    ].join('\n'),
  );
  assert.deepEqual([...r.failed.keys()], ['CUnit.Summary']);
});
