/**
 * Ironic's version documents: `GET /` (the API's versions) and `GET /v1` (this version's
 * resources, linked as far as the version asked for has them). Served without
 * credentials: openstacksdk reads them before it authenticates.
 */
import type { FastifyRequest } from 'fastify';
import { baseUrl, links } from './common.js';
import { MAX_VERSION, MIN_VERSION, VOLUME_VERSION, versionText } from './versions.js';

function version(request: FastifyRequest) {
  return {
    id: 'v1',
    links: [{ href: `${baseUrl(request)}/v1/`, rel: 'self' }],
    status: 'CURRENT',
    min_version: versionText(MIN_VERSION),
    version: versionText(MAX_VERSION),
  };
}

export function rootDocument(request: FastifyRequest) {
  return {
    name: 'OpenStack Ironic API',
    description: 'Ironic is an OpenStack project which aims to provision baremetal machines. Served by sanbox.',
    default_version: version(request),
    versions: [version(request)],
  };
}

export function v1Document(request: FastifyRequest) {
  return {
    id: 'v1',
    links: [
      { href: `${baseUrl(request)}/v1/`, rel: 'self' },
      { href: 'https://docs.openstack.org//ironic/latest/contributor//webapi.html', rel: 'describedby', type: 'text/html' },
    ],
    media_types: [{ base: 'application/json', type: 'application/vnd.openstack.ironic.v1+json' }],
    version: version(request),
    nodes: links(request, 'nodes/'),
    ...(request.ironicMinor >= VOLUME_VERSION ? { volume: links(request, 'volume/') } : {}),
  };
}
