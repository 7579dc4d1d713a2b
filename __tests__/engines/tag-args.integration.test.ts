/**
 * Issue 9 item 6: a tag's `:key=value` text reaches the model as literal words on both executors,
 * whatever shell syntax it holds, and creates no file. (The host half needs no daemon.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import type Docker from 'dockerode';
import { parseTag } from '../../src/core/hub/tags.ts';
import type { Executor } from '../../src/core/run/executor.ts';
import { connectDocker } from '../../src/engines/docker/connection.ts';
import { dockerExecutor } from '../../src/engines/docker/container-executor.ts';
import { hostExecutor } from '../../src/engines/host/host-executor.ts';
import { requireInfra } from '../helpers/infra.ts';
import { memoryLogger } from '../helpers/logger.ts';
import { runSpec } from '../helpers/run-spec.ts';

const PAYLOADS = [
  '$(touch pwned-1)',
  '`touch pwned-2`',
  'a;touch pwned-3',
  'a|touch pwned-4',
  'a&&touch pwned-5',
  'x\ntouch pwned-6',
  `it's "q"`,
  '*',
  '>pwned-7',
  '$HOME',
  '~',
  '{a,b}',
  '!!',
];

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'madengine-tag-args-'));
after(() => fs.rm(root, { recursive: true, force: true }));
let seq = 0;

let docker: Docker | undefined;
const testImage = `madengine-tag-args-test-${process.pid}:latest`;
after(async () => {
  await docker
    ?.getImage(testImage)
    .remove({ noprune: true })
    .catch(() => undefined);
});

async function dockerSetup(t: TestContext): Promise<Executor | undefined> {
  const infra = await requireInfra(t, { docker: true, registries: false });
  if (!infra) return undefined;
  docker ??= await connectDocker();
  const [repo, tag] = testImage.split(':') as [string, string];
  await docker.getImage(infra.baseImage).tag({ repo, tag });
  return dockerExecutor(docker, { logger: memoryLogger() });
}

for (const [kind, setup, image] of [
  ['host', async () => hostExecutor({ logger: memoryLogger() }), undefined],
  ['docker', dockerSetup, testImage],
] as const) {
  describe(`${kind} executor: tag arguments`, () => {
    test('shell metacharacters in :key=value reach the model as literal words and run nothing', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = path.join(root, `hub-${++seq}`);
      await fs.mkdir(path.join(hub, 'scripts/args'), { recursive: true });
      await fs.writeFile(path.join(hub, 'scripts/args/run.sh'), 'for a in "$@"; do printf "ARG[%s]\\n" "$a"; done\n');
      const args = PAYLOADS.map((payload) => parseTag(`m:v=${payload}`).extraArgs).join('');
      const runId = `tag-args-${process.pid}-${seq}`;
      const spec = runSpec({
        runId,
        hubDir: hub,
        script: 'scripts/args/run.sh',
        args,
        timeoutSeconds: 60,
        outputDir: path.join(hub, 'out'),
        logFile: path.join(hub, 'logs', `${runId}.log`),
        keepModelDir: true,
        ...(image ? { image } : {}),
      });
      const outcome = await executor.run(spec, []);
      await executor.cleanup();
      assert.equal(outcome.exitCode, 0, outcome.error);
      const log = await fs.readFile(spec.logFile, 'utf8');
      const received = [...log.matchAll(/^ARG\[(.*)\]$/gm)].map((match) => match[1]);
      const expected = PAYLOADS.flatMap((payload) => ['--v', ...payload.split(/[=\s]+/).filter(Boolean)]);
      assert.deepEqual(received, expected);
      for (const dir of [hub, outcome.modelDir])
        assert.deepEqual(
          (await fs.readdir(dir)).filter((file) => file.startsWith('pwned')),
          [],
          `nothing created in ${dir}`,
        );
    });
  });
}
