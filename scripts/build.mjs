// Builds what `npm start` serves: the server bundle (dependencies stay external) and the
// browser bundle with its static files, into dist/.
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';

const watch = process.argv.includes('--watch');
// A production build ships no client source maps (the server also refuses *.map when NODE_ENV=production).
const clientSourceMaps = process.env.NODE_ENV !== 'production';
mkdirSync('dist/client', { recursive: true });
await Promise.all([
  build({
    entryPoints: ['server/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    outfile: 'dist/main.js',
    logLevel: 'warning',
  }),
  build({
    entryPoints: ['client/main.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome110',
    sourcemap: clientSourceMaps,
    minify: !watch,
    outfile: 'dist/client/app.js',
    logLevel: 'warning',
  }),
]);
if (!clientSourceMaps) rmSync('dist/client/app.js.map', { force: true });
cpSync('client/index.html', 'dist/client/index.html');
cpSync('client/style.css', 'dist/client/style.css');
cpSync('client/uplot.css', 'dist/client/uplot.css');
