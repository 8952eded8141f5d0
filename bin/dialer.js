#!/usr/bin/env node
// `npx dialer`: runs the TypeScript CLI through tsx, since the project has no build step for development.
require('tsx/cjs');
require('../src/cli/main.ts');
