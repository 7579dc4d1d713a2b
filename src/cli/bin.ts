#!/usr/bin/env node
// Entry point of the CLI bundle (dist/cli/madengine.mjs).
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
