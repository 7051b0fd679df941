// Builds what `npm start` serves: the server bundle (dependencies stay external) and the
// browser bundle with its static files, into dist/.
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
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
    sourcemap: true,
    minify: !watch,
    outfile: 'dist/client/app.js',
    logLevel: 'warning',
  }),
]);
cpSync('client/index.html', 'dist/client/index.html');
cpSync('client/style.css', 'dist/client/style.css');
cpSync('client/uplot.css', 'dist/client/uplot.css');
