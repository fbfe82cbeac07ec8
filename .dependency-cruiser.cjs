/**
 * The one-way flow of ../shared/DESIGN.md, checked by `npm test` (npm run deps alone):
 * dialect -> domain <- store; the domain imports nothing outside itself; the transport
 * (iscsi -> scsi -> backstore) knows nothing of the control plane; dialects share only
 * api/ mechanics. The composition root (app.ts, main.ts) may wire anything.
 */
const CONTROL = '^src/(domain|store|api|dataplane)/';
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-only-itself',
      comment: 'The domain owns its ports (domain/ports.ts, domain/repository.ts); it never imports an outer layer.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'store-implements-the-domain',
      comment: 'The store implements the domain\'s repositories and knows no dialect, data plane or transport.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(api|dataplane|iscsi|scsi|backstore|initiator)/' },
    },
    {
      name: 'api-talks-to-the-domain',
      comment: 'Dialects reach configuration and live state through the domain only; app.ts wires the rest.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/(store|dataplane|iscsi|scsi|backstore|initiator)/' },
    },
    {
      name: 'dialects-stay-apart',
      comment: 'Nothing is shared between dialects but api/http, api/auth and the domain.',
      severity: 'error',
      from: { path: '^src/api/(freenas|ironic|ontap|hnas|pools)/' },
      to: { path: '^src/api/(freenas|ironic|ontap|hnas|pools)/', pathNot: '^src/api/$1/' },
    },
    {
      name: 'http-knows-no-dialect',
      comment: 'api/http is the dialect-neutral mechanics every dialect builds on: it imports no dialect and not the server.',
      severity: 'error',
      from: { path: '^src/api/http/' },
      to: { path: '^src/api/((freenas|ironic|ontap|hnas|pools|console)/|[^/]+$)' },
    },
    {
      name: 'dataplane-reads-the-domain',
      comment: 'The data plane turns domain snapshots into running objects; it never calls a dialect or the store.',
      severity: 'error',
      from: { path: '^src/dataplane/' },
      to: { path: '^src/(api|store)/' },
    },
    {
      name: 'transport-knows-no-control-plane',
      comment: 'iscsi/, scsi/ and backstore/ are configured through interfaces they own (iscsi/catalog.ts).',
      severity: 'error',
      from: { path: '^src/(iscsi|scsi|backstore)/' },
      to: { path: CONTROL },
    },
    {
      name: 'scsi-below-iscsi',
      severity: 'error',
      from: { path: '^src/scsi/' },
      to: { path: '^src/(iscsi|initiator)/' },
    },
    {
      name: 'backstore-at-the-bottom',
      severity: 'error',
      from: { path: '^src/backstore/' },
      to: { path: '^src/(iscsi|scsi|initiator)/' },
    },
    {
      name: 'production-code-never-imports-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-circles-in-the-control-plane',
      severity: 'error',
      from: { path: CONTROL },
      to: { circular: true },
    },
    {
      name: 'no-circles-in-iscsi',
      comment: 'The PDU handlers reach their connection through iscsi/handler-context.ts, never by importing Connection.',
      severity: 'error',
      from: { path: '^src/iscsi/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7 is native and has no JS compiler API: swc parses the sources, and
    // type-only imports count (a domain file importing a store type is a violation too).
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // src/console is the browser's bundle (TSX, its own tsconfig), built apart by scripts/build-ui.mjs.
    exclude: { path: '^(dist|node_modules|build)/|^src/console/' },
  },
};
