// Vitest global setup: builds dist/ once, so integration and e2e tests run the same
// bundle that `npm start` serves.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
