/** FreeNAS `authcredential` <-> AuthCredential. Secrets are returned: clients expect them. */
import type { AuthCredential } from '../../domain/entities.js';
import type { AuthCredentialInput, AuthCredentialService } from '../../domain/auth-credentials.js';
import type { Resource } from './resource.js';
import { int, intOrNull, pick, str, type WireField } from '../http/fields.js';

const fields: Record<string, WireField> = {
  iscsi_target_auth_secret: { schema: str('target side secret'), domain: 'secret', response: true },
  iscsi_target_auth_peeruser: { schema: str('initiator side user name'), domain: 'peerUser', response: true },
  iscsi_target_auth_peersecret: { schema: str('initiator side secret'), domain: 'peerSecret', response: true },
  iscsi_target_auth_user: { schema: str('target side user name'), domain: 'user', response: true },
  iscsi_target_auth_tag: { schema: intOrNull('group id; assigned (highest + 1) when absent'), domain: 'tag', response: true },
  id: { schema: int(), ignored: true, response: true },
};

export function authCredentialResource(service: AuthCredentialService): Resource<AuthCredential, AuthCredentialInput> {
  return {
    path: 'authcredential',
    title: 'Auth credential: CHAP users and secrets, grouped by tag',
    fields,
    service,
    toWire: (c) => ({
      iscsi_target_auth_secret: c.secret,
      iscsi_target_auth_peeruser: c.peerUser,
      iscsi_target_auth_peersecret: c.peerSecret,
      iscsi_target_auth_user: c.user,
      iscsi_target_auth_tag: c.tag,
      id: c.id,
    }),
    fromWire: (body) => pick(body, fields) as AuthCredentialInput,
  };
}
