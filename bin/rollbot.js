#!/usr/bin/env node
// The installed `rollbot` command runs the compiled CLI (built by `npm run build`, and by `prepare` on `npm ci`).
import { runCli } from '../dist/cli.js';

process.exitCode = await runCli(process.argv.slice(2));
