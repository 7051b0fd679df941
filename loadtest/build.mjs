// Bundles the load generator and the bare baseline server into dist/ (dependencies stay
// external). The bench runs these bundles: running through tsx's loader measurably slows
// a busy process (the bare server's fan-out p99 went from ~5 ms to ~100 ms at 24k
// deliveries/s on our 2-core machine), which would skew the comparison.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', sourcemap: true, logLevel: 'warning' };
await Promise.all([
  build({ ...common, entryPoints: ['loadtest/cli.ts'], outfile: 'dist/loadtest.js' }),
  build({ ...common, entryPoints: ['bench/bareServer.ts'], outfile: 'dist/bareServer.js' }),
]);
