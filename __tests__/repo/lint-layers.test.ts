/**
 * The layer rules of eslint.config.js (no-restricted-imports, one block per layer of src/): core imports
 * nothing above it, engines import only core, the pipeline only core and engines, the actions and the CLI
 * never the engines, src/github only core/errors.ts and core/log.ts. Each case lints a snippet as if it
 * were a file of that folder (lintText writes nothing; the file need not exist).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';
import type { Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const repoRoot = path.resolve(import.meta.dirname, '../..');

// Type-aware rules need the file in tsconfig's program; these snippets are not, and the layer rules need no types.
const eslint = new ESLint({ cwd: repoRoot, overrideConfig: tseslint.configs.disableTypeChecked as Linter.Config });

/** The no-restricted-imports messages for `code` linted as `filePath`; a parse error fails the test. */
async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  assert.ok(result, `no lint result for ${filePath}`);
  const fatal = result.messages.filter((message) => message.fatal);
  assert.deepEqual(fatal, [], `${filePath} did not parse`);
  return result.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

async function assertRejected(filePath: string, code: string, layerMessage: RegExp): Promise<void> {
  const messages = await restricted(filePath, code);
  assert.equal(messages.length, 1, `${filePath}: expected one no-restricted-imports error for ${code}, got ${JSON.stringify(messages)}`);
  assert.match(messages[0] ?? '', layerMessage);
}

async function assertAllowed(filePath: string, code: string): Promise<void> {
  assert.deepEqual(await restricted(filePath, code), [], `${filePath}: ${code}`);
}

test('the layer rules are active for the files of each layer', async () => {
  for (const file of [
    'src/core/run/run-phase.ts',
    'src/engines/docker/images.ts',
    'src/pipeline/run.ts',
    'src/github/logger.ts',
    'src/actions/x/main.ts',
    'src/cli/main.ts',
  ]) {
    const config = (await eslint.calculateConfigForFile(file)) as Linter.Config;
    assert.ok(config.rules?.['no-restricted-imports'], `${file} has no no-restricted-imports rule`);
  }
});

test('core imports nothing above it: not the engines, the pipeline, the adapters, @actions/* or dockerode', async () => {
  const core = /^'.*' import is restricted .*core imports nothing above it/;
  await assertRejected('src/core/x/fake.ts', "import { pullImage } from '../../engines/docker/images.ts';", core);
  await assertRejected('src/core/x/fake.ts', "import * as core from '@actions/core';", core);
  await assertRejected('src/core/x/fake.ts', "import { DefaultArtifactClient } from '@actions/artifact';", core);
  await assertRejected('src/core/x/fake.ts', "import type Docker from 'dockerode';", core);
  await assertRejected('src/core/x/fake.ts', "import type { RunOutcome } from '../../pipeline/run.ts';", core);
  await assertRejected('src/core/x/fake.ts', "export * from '../../workflows/run.ts';", core);
  await assertRejected('src/core/x/fake.ts', "import { createLogger } from '../../github/logger.ts';", core);
  await assertRejected('src/core/x/fake.ts', "import { VERSION } from '../../version.ts';", core);
  await assertRejected('src/core/fake.ts', "import '../engines/docker/connection.ts';", core);
  await assertRejected('src/core/a/b/fake.ts', "import '../../../cli/main.ts';", core);
});

test('core may import core, node built-ins and npm packages', async () => {
  await assertAllowed(
    'src/core/x/fake.ts',
    [
      "import { readFile } from 'node:fs/promises';",
      "import { z } from 'zod';",
      "import { ConfigError } from '../errors.ts';",
      "import { runPhase } from '../run/run-phase.ts';",
      "import { sibling } from './sibling.ts';",
    ].join('\n'),
  );
  await assertAllowed('src/core/fake.ts', "import { ConfigError } from './errors.ts';\nimport { runPhase } from './run/run-phase.ts';");
});

test('core may import the templates folder (text), and nothing else outside src/', async () => {
  await assertAllowed('src/core/report/fake.ts', "import text from '../../../templates/report/summary.md.njk';");
  await assertAllowed('src/core/a/b/fake.ts', "import text from '../../../../templates/x.njk';");
  await assertRejected('src/core/report/fake.ts', "import '../../../scripts/build.mjs';", /core imports nothing above it/);
  await assertRejected('src/core/report/fake.ts', "import '../../templates/x.njk';", /core imports nothing above it/);
});

test('engines import only core: not the pipeline, the adapters, the actions, the CLI or @actions/*', async () => {
  const engines = /engines import only core/;
  await assertRejected('src/engines/fake.ts', "import { runModels } from '../pipeline/run.ts';", engines);
  await assertRejected('src/engines/docker/fake.ts', "import { runModels } from '../../pipeline/run.ts';", engines);
  await assertRejected('src/engines/docker/fake.ts', "import { runModels } from '../../workflows/run.ts';", engines);
  await assertRejected('src/engines/docker/fake.ts', "import { createLogger } from '../../github/logger.ts';", engines);
  await assertRejected('src/engines/docker/fake.ts', "import '../../cli/main.ts';", engines);
  await assertRejected('src/engines/docker/fake.ts', "import * as core from '@actions/core';", engines);
});

test('engines may import core, other engines and npm packages (dockerode, tar-stream)', async () => {
  await assertAllowed(
    'src/engines/docker/fake.ts',
    [
      "import type Docker from 'dockerode';",
      "import tar from 'tar-stream';",
      "import { ConfigError } from '../../core/errors.ts';",
      "import { runOutput } from '../host/run-output.ts';",
      "import { images } from './images.ts';",
    ].join('\n'),
  );
  await assertAllowed('src/engines/fake.ts', "import { ConfigError } from '../core/errors.ts';\nimport { images } from './docker/images.ts';");
});

test('the pipeline (and src/workflows until the move) imports only core and engines', async () => {
  const pipeline = /pipeline imports only core and engines/;
  for (const dir of ['pipeline', 'workflows']) {
    await assertRejected(`src/${dir}/fake.ts`, "import { createLogger } from '../github/logger.ts';", pipeline);
    await assertRejected(`src/${dir}/fake.ts`, "import '../actions/run-local/main.ts';", pipeline);
    await assertRejected(`src/${dir}/fake.ts`, "import '../cli/main.ts';", pipeline);
    await assertRejected(`src/${dir}/fake.ts`, "import * as core from '@actions/core';", pipeline);
    await assertAllowed(
      `src/${dir}/fake.ts`,
      "import { runPhase } from '../core/run/run-phase.ts';\nimport { connect } from '../engines/docker/connection.ts';\nimport { load } from './load.ts';",
    );
  }
});

test('actions never import engines', async () => {
  const actions = /actions never import engines/;
  await assertRejected('src/actions/run-local/fake.ts', "import { connect } from '../../engines/docker/connection.ts';", actions);
  await assertRejected('src/actions/fake.ts', "import type { ContainerExecutor } from '../engines/docker/container-executor.ts';", actions);
  await assertRejected('src/actions/run-local/fake.ts', "import '../../cli/main.ts';", actions);
});

test('actions may import the pipeline, core, the github adapters and @actions/*', async () => {
  await assertAllowed(
    'src/actions/run-local/fake.ts',
    [
      "import * as core from '@actions/core';",
      "import { runModels } from '../../pipeline/run.ts';",
      "import { runModels as old } from '../../workflows/run.ts';",
      "import { ConfigError } from '../../core/errors.ts';",
      "import { createLogger } from '../../github/logger.ts';",
      "import { commonInputs } from '../common-inputs.ts';",
      "import { inputs } from './inputs.ts';",
    ].join('\n'),
  );
});

test('the CLI never imports engines, the github adapters or @actions/*', async () => {
  const cli = /cli never imports engines or GitHub/;
  await assertRejected('src/cli/commands/fake.ts', "import { connect } from '../../engines/docker/connection.ts';", cli);
  await assertRejected('src/cli/commands/fake.ts', "import { createLogger } from '../../github/logger.ts';", cli);
  await assertRejected('src/cli/fake.ts', "import * as core from '@actions/core';", cli);
  await assertAllowed(
    'src/cli/commands/fake.ts',
    [
      "import { Command } from 'commander';",
      "import { runModels } from '../../pipeline/run.ts';",
      "import { ConfigError } from '../../core/errors.ts';",
      "import { VERSION } from '../../version.ts';",
      "import { formatTable } from '../table.ts';",
    ].join('\n'),
  );
});

test('src/github adapters import only @actions/*, core/errors.ts and core/log.ts', async () => {
  const github = /github adapters wrap @actions\/\* only/;
  await assertRejected('src/github/fake.ts', "import { runPhase } from '../core/run/run-phase.ts';", github);
  await assertRejected('src/github/fake.ts', "import { parseCredentials } from '../core/registry/credentials.ts';", github);
  await assertRejected('src/github/fake.ts', "import { runModels } from '../pipeline/run.ts';", github);
  await assertRejected('src/github/fake.ts', "import { connect } from '../engines/docker/connection.ts';", github);
  await assertRejected('src/github/x/fake.ts', "import type { Logger } from '../../core/log.tsx';", github);
  await assertAllowed(
    'src/github/fake.ts',
    [
      "import * as core from '@actions/core';",
      "import { DefaultArtifactClient } from '@actions/artifact';",
      "import { ConfigError } from '../core/errors.ts';",
      "import type { Logger } from '../core/log.ts';",
      "import { state } from './state.ts';",
    ].join('\n'),
  );
  await assertAllowed('src/github/x/fake.ts', "import { ConfigError } from '../../core/errors.ts';\nimport { state } from '../state.ts';");
});
