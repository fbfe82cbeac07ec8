/**
 * Ironic's microversions: the version a request asks for comes from
 * `X-OpenStack-Ironic-API-Version` or `OpenStack-API-Version: baremetal X.Y`; none means
 * the minimum (1.1), `latest` the maximum; outside the range is 406 with Ironic's words.
 * Every answer carries the minimum, the maximum and the version used. sanbox serves 1.1
 * to 1.76: the volume API needs 1.32, and 1.76 is the newest openstacksdk knows for nodes,
 * so ironicclient (which starts at 1.78) negotiates down, as it does with an older Ironic.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IronicError } from './errors.js';

export const MIN_VERSION = { major: 1, minor: 1 };
export const MAX_VERSION = { major: 1, minor: 76 };
/** The volume API (connectors and targets) exists from 1.32. */
export const VOLUME_VERSION = 32;

export const versionText = (v: { major: number; minor: number }) => `${v.major}.${v.minor}`;

declare module 'fastify' {
  interface FastifyRequest {
    /** The Ironic microversion this request is served at (minor number of 1.x). */
    ironicMinor: number;
  }
}

function asked(request: FastifyRequest): string | null {
  const own = request.headers['x-openstack-ironic-api-version'];
  if (typeof own === 'string' && own.trim() !== '') return own.trim();
  const generic = request.headers['openstack-api-version'];
  if (typeof generic === 'string') {
    const m = /(?:^|,)\s*baremetal\s+(\S+)/i.exec(generic);
    if (m) return m[1]!;
  }
  return null;
}

/** Reads and checks the version (406 outside the range), and answers with the version headers. */
export function negotiate(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('X-OpenStack-Ironic-API-Minimum-Version', versionText(MIN_VERSION));
  reply.header('X-OpenStack-Ironic-API-Maximum-Version', versionText(MAX_VERSION));
  const text = asked(request);
  let minor: number;
  if (text === null) minor = MIN_VERSION.minor;
  else if (text.toLowerCase() === 'latest') minor = MAX_VERSION.minor;
  else {
    const m = /^(\d+)\.(\d+)$/.exec(text);
    if (!m) throw new IronicError(406, `Invalid value for X-OpenStack-Ironic-API-Version header: ${text}`);
    const major = Number(m[1]);
    minor = Number(m[2]);
    if (major !== 1) {
      throw new IronicError(
        406,
        `Mutually exclusive versions requested. Version ${text} requested but not supported by this service. The supported version range is: [${versionText(MIN_VERSION)}, ${versionText(MAX_VERSION)}].`,
      );
    }
    if (minor < MIN_VERSION.minor || minor > MAX_VERSION.minor) {
      throw new IronicError(
        406,
        `Version ${text} was requested but the minor version is not supported by this service. The supported version range is: [${versionText(MIN_VERSION)}, ${versionText(MAX_VERSION)}].`,
      );
    }
  }
  request.ironicMinor = minor;
  reply.header('X-OpenStack-Ironic-API-Version', `1.${minor}`);
}
