/**
 * The security-stage hook of login.ts, implemented with chap.ts: one CHAP exchange per
 * connection, its failures turned into login errors (status from chap.ts).
 */
import { ChapTargetExchange } from './chap.js';
import { IscsiProtocolError } from './errors.js';
import type { AuthExchange, AuthExchangeFactory } from './login.js';
import type { TextPairs } from './text.js';

export const chapAuthExchange: AuthExchangeFactory = (ctx) => {
  const ex = new ChapTargetExchange({
    credentials: ctx.policy.credentials,
    requireMutual: ctx.policy.method === 'CHAP Mutual',
  });
  const step: AuthExchange['step'] = (keys) => {
    const r = ex.step(keys);
    if (!r.ok) {
      // The detail never carries a secret (chap-errors.ts); the user name is not one.
      throw new IscsiProtocolError('ERR_LOGIN', `CHAP ${r.reason}: ${r.detail}${r.user ? ` (CHAP_N ${r.user})` : ''}`, {
        loginStatus: r.status,
        fatal: true,
      });
    }
    const reply: TextPairs = Object.entries(r.keys);
    return { reply, done: r.done };
  };
  return { step };
};
