#!/usr/bin/env node
// Builds the web console (src/console) into dist/ui: type-checks it with its own tsconfig
// (DOM + Preact's JSX), bundles and minifies it with esbuild (no CDN: everything the page
// loads is served by sanbox), and writes a .gz beside each file, which /ui/ serves to
// browsers that accept gzip. Prints each file's size and the compressed first load.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const out = 'dist/ui';
const assets = join(out, 'assets');
rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

execFileSync(join('node_modules', '.bin', 'tsc'), ['-p', 'src/console/tsconfig.json'], { stdio: 'inherit' });
await build({
  entryPoints: { app: 'src/console/main.tsx' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: assets,
  legalComments: 'none',
  logLevel: 'warning',
});
writeFileSync(
  join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sanbox console</title>
<link rel="stylesheet" href="/ui/assets/app.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="/ui/assets/app.js"></script>
</body>
</html>
`,
);
let total = 0;
for (const file of [join(out, 'index.html'), join(assets, 'app.js'), join(assets, 'app.css')]) {
  const raw = readFileSync(file);
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(`${file}.gz`, gz);
  total += gz.length;
  console.log(`${file}: ${raw.length} bytes, ${gz.length} gzip`);
}
console.log(`console first load: ${total} bytes gzip`);
