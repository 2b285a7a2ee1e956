#!/usr/bin/env node
// The published entry point runs the compiled CLI (built by `npm run build`, and by `prepare` on `npm ci`).
import '../dist/cli.js';
