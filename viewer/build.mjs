// Bundles the viewer into one script for `pdagc --emit html` to embed: src/main.js with its npm
// packages, its styles (as text), and ELK's layout worker (gzipped and base64-encoded: 1.6 MB of
// script become about 0.5 MB; the page inflates it with the browser's DecompressionStream and starts
// it from a Blob, so that it needs no file beside it). Usage: node build.mjs OUTFILE
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const outfile = process.argv[2] ?? 'dist/viewer.js';

const elkWorker = {
  name: 'elk-worker-source',
  setup(b) {
    b.onResolve({ filter: /^elk-worker-source$/ }, () => ({ path: 'elk-worker-source', namespace: 'elk-worker' }));
    b.onLoad({ filter: /.*/, namespace: 'elk-worker' }, () => ({
      contents: gzipSync(readFileSync(require.resolve('elkjs/lib/elk-worker.min.js')), { level: 9 }).toString('base64'),
      loader: 'text',
    }));
  },
};

const result = await build({
  entryPoints: ['src/main.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  write: false,
  metafile: true,
  loader: { '.css': 'text' },
  plugins: [elkWorker],
  legalComments: 'inline',
  logLevel: 'warning',
});

// The npm packages the bundle holds, with their versions and licences, as a comment at its top
// (the worker's source, loaded as text, is elkjs's).
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//) ?? (input.startsWith('elk-worker') ? [null, 'elkjs'] : null);
  if (!m || packages.has(m[1])) continue;
  const pkg = JSON.parse(readFileSync(new URL('node_modules/' + m[1] + '/package.json', import.meta.url), 'utf8'));
  packages.set(m[1], `${pkg.name} ${pkg.version} (${pkg.license}${pkg.homepage ? ', ' + pkg.homepage : ''})`);
}
const banner = '/* pdagc plan viewer. Bundled npm packages: ' + [...packages.keys()].sort().map((k) => packages.get(k)).join('; ') + '. */\n';
mkdirSync(dirname(outfile), { recursive: true });
writeFileSync(outfile, banner + result.outputFiles[0].text);
