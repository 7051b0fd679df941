#!/usr/bin/env node
// npx-runnable entry of the load generator (package.json "bin": rtc-loadtest). It loads
// the TypeScript sources through tsx (a devDependency, present after `npm ci`), so there
// is no separate build step and no stale bundle.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
