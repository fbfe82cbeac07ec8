/** Credential extractors (api/auth/credentials.ts): each vendor's way of presenting itself. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { challengeFor, extractCredentials } from '../../src/api/auth/credentials.js';

const KEY = `sbx_12_${'A'.repeat(43)}`;
const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

test('each scheme finds its own headers and nothing else', () => {
  const all = ['basic', 'api-key', 'subsystem', 'auth-token', 'bearer'] as const;
  assert.deepEqual(extractCredentials({ authorization: basic('admin:pw:with:colons') }, all), { kind: 'password', user: 'admin', password: 'pw:with:colons' });
  assert.deepEqual(extractCredentials({ 'x-api-key': KEY }, all), { kind: 'token', token: KEY });
  assert.deepEqual(extractCredentials({ 'x-api-key': 'the-admin-password' }, all), { kind: 'password', user: null, password: 'the-admin-password' });
  assert.deepEqual(extractCredentials({ 'x-subsystem-user': 'u', 'x-subsystem-password': 'p' }, all), { kind: 'password', user: 'u', password: 'p' });
  assert.deepEqual(extractCredentials({ 'x-auth-token': KEY }, all), { kind: 'token', token: KEY });
  assert.deepEqual(extractCredentials({ authorization: `Bearer ${KEY}` }, all), { kind: 'token', token: KEY });
});

test('a route only sees the schemes it takes, in its order', () => {
  const headers = { authorization: `Bearer ${KEY}`, 'x-subsystem-user': 'u', 'x-subsystem-password': 'p' };
  assert.equal(extractCredentials(headers, ['basic', 'api-key']), null);
  assert.equal(extractCredentials(headers, ['subsystem', 'bearer'])?.kind, 'password');
  assert.equal(extractCredentials(headers, ['bearer', 'subsystem'])?.kind, 'token');
});

test('malformed or half-given credentials are no credentials', () => {
  const all = ['basic', 'api-key', 'subsystem', 'auth-token', 'bearer'] as const;
  for (const headers of [
    { authorization: 'Basic !!!' },
    { authorization: basic('no-colon') },
    { authorization: 'Bearer' },
    { authorization: 'Digest abc' },
    { 'x-subsystem-user': 'u' },
    { 'x-subsystem-password': 'p' },
    { 'x-api-key': '' },
    { 'x-auth-token': ['a', 'b'] },
  ]) {
    assert.equal(extractCredentials(headers, all), null, JSON.stringify(headers));
  }
});

test('the 401 challenge names Basic where the route takes it, else Bearer', () => {
  assert.match(challengeFor(['basic', 'api-key']), /^Basic realm="sanbox"/);
  assert.equal(challengeFor(['auth-token', 'bearer']), 'Bearer realm="sanbox"');
});
