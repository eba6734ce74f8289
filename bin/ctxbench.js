#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx ctxbench` works after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/cli.ts');
process.exitCode = await main(process.argv);
