#!/usr/bin/env node
// Entry point of the CLI bundle (dist/cli/madengine.mjs).
import { quietOnClosedPipe } from '../core/util/live-output.ts';
import { main } from './main.ts';

// `madengine discover | head -1`: a reader that stops reading ends the output, not the command
// (no EPIPE stack trace; the exit status is the command's own).
quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);
process.exitCode = await main(process.argv.slice(2));
