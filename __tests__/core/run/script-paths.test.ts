import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Executor, ModelRunSpec } from '../../../src/core/run/executor.ts';
import { runModel, type RunModelOptions, type RunShared } from '../../../src/core/run/run-model.ts';
import { scriptPathProblem } from '../../../src/core/run/script-paths.ts';
import { memoryLogger } from '../../helpers/logger.ts';
import { runSpec } from '../../helpers/run-spec.ts';
import { systemInfo } from '../../helpers/system.ts';
import { Redactor } from '../../../src/core/secrets/redactor.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'madengine-script-paths-'));
after(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;

/** A hub with scripts/ok/run.sh and, outside it, elsewhere/{run.sh,secret}. */
function makeHub(): { hub: string; outside: string } {
  const base = path.join(root, `case-${++seq}`);
  const hub = path.join(base, 'hub');
  const outside = path.join(base, 'elsewhere');
  for (const dir of [path.join(hub, 'scripts/ok'), outside]) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(hub, 'scripts/ok/run.sh'), 'echo ok\n');
  writeFileSync(path.join(outside, 'run.sh'), 'echo outside\n');
  writeFileSync(path.join(outside, 'secret'), 'x\n');
  return { hub, outside };
}

const problemFor = (hub: string, overrides: Partial<ModelRunSpec>): Promise<string | undefined> =>
  scriptPathProblem(runSpec({ hubDir: hub, script: 'scripts/ok/run.sh', ...overrides }));

describe('scriptPathProblem (issue 9 item 7)', () => {
  test('scripts inside the hub, symlinks within it included, are fine', async () => {
    const { hub } = makeHub();
    symlinkSync('../ok/run.sh', path.join(hub, 'scripts/ok/alias.sh'));
    symlinkSync(path.join(hub, 'scripts/ok'), path.join(hub, 'scripts/linked'));
    assert.equal(await problemFor(hub, { script: 'scripts/linked/alias.sh', preScripts: [{ path: 'scripts/ok/run.sh' }] }), undefined);
  });

  test('a script dir that is a symlink out of the hub is refused, naming the path and where it points', async () => {
    const { hub, outside } = makeHub();
    symlinkSync(outside, path.join(hub, 'scripts/x'));
    const problem = await problemFor(hub, { script: 'scripts/x/run.sh' });
    assert.ok(problem?.includes(`scripts/x resolves to ${outside}, outside the model hub`), problem);
    assert.ok(problem?.includes(`through the symlink scripts/x -> ${outside}`), problem);
  });

  test('a symlink deep in the copied tree is refused too', async () => {
    const { hub, outside } = makeHub();
    mkdirSync(path.join(hub, 'scripts/ok/data'));
    symlinkSync(path.join(outside, 'secret'), path.join(hub, 'scripts/ok/data/secret'));
    assert.match((await problemFor(hub, {})) ?? '', /scripts\/ok\/data\/secret resolves to .*elsewhere\/secret, outside the model hub/);
  });

  test('pre- and post-scripts that point outside are refused', async () => {
    const { hub, outside } = makeHub();
    symlinkSync(path.join(outside, 'run.sh'), path.join(hub, 'pre.sh'));
    assert.match((await problemFor(hub, { preScripts: [{ path: 'pre.sh' }] })) ?? '', /pre\.sh resolves to .*elsewhere\/run\.sh/);
    assert.match((await problemFor(hub, { postScripts: [{ path: 'pre.sh' }] })) ?? '', /pre\.sh resolves to/);
  });

  test('runModel fails such a model with that reason and never calls the executor', async () => {
    const { hub, outside } = makeHub();
    symlinkSync(outside, path.join(hub, 'scripts/x'));
    let ran = false;
    const executor: Executor = {
      kind: 'host',
      run: async () => {
        ran = true;
        throw new Error('must not run');
      },
      cleanup: async () => {},
    };
    const system = systemInfo();
    const options: RunModelOptions = {
      hubDir: hub,
      context: { gpu_vendor: 'AMD', guest_os: 'UBUNTU' },
      executor,
      system,
      credentials: {},
      output: path.join(hub, 'perf.csv'),
      timeout: null,
      keepAlive: false,
      keepModelDir: false,
      skipModelRun: false,
      disableSkipGpuArch: false,
      logger: memoryLogger(),
    };
    const shared: RunShared = { redactor: new Redactor(), dataCounter: { next: 0 }, toolDefinitions: undefined, env: {} };
    const row = { run_id: 'r1', n_gpus: '0' } as never;
    const result = await runModel('local', {} as never, { name: 'evil', scripts: 'scripts/x/run.sh', n_gpus: '0' }, row, options, shared);
    assert.equal(ran, false);
    assert.equal(result.status, 'FAILURE');
    assert.match(result.reason, /scripts\/x resolves to .*elsewhere, outside the model hub/);
  });
});
