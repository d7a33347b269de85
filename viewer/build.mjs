// Bundles the viewer into one script for `pdagc --emit html` to embed: src/main.js with its npm
// packages, its styles (as text), and ELK's layout worker (as text, started from a Blob so that the
// page needs no file beside it). Usage: node build.mjs OUTFILE
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const outfile = process.argv[2] ?? 'dist/viewer.js';

const elkWorker = {
  name: 'elk-worker-source',
  setup(b) {
    b.onResolve({ filter: /^elk-worker-source$/ }, () => ({ path: 'elk-worker-source', namespace: 'elk-worker' }));
    b.onLoad({ filter: /.*/, namespace: 'elk-worker' }, () => ({
      contents: readFileSync(require.resolve('elkjs/lib/elk-worker.min.js'), 'utf8'),
      loader: 'text',
    }));
  },
};

await build({
  entryPoints: ['src/main.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outfile,
  loader: { '.css': 'text' },
  plugins: [elkWorker],
  legalComments: 'inline',
  logLevel: 'warning',
});
