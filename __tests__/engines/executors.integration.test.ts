/**
 * Both executors against reality: the docker executor on the test daemon (busybox + bash base image),
 * the host executor with the machine's bash. Tiny model hubs are written per test.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type Docker from 'dockerode';
import type { Logger } from '../../src/core/log.ts';
import { memoryLogger } from '../helpers/logger.ts';
import type { Executor, ModelRunSpec } from '../../src/core/run/executor.ts';
import { connectDocker } from '../../src/engines/docker/connection.ts';
import { LABEL_RUN_ID } from '../../src/engines/docker/container-options.ts';
import { dockerExecutor } from '../../src/engines/docker/container-executor.ts';
import { hostExecutor } from '../../src/engines/host/host-executor.ts';
import { containerName } from '../../src/core/images/naming.ts';
import { requireInfra } from '../helpers/infra.ts';
import { runSpec } from '../helpers/run-spec.ts';

const SCRIPTS: Record<string, string> = {
  'scripts/perf/run.sh': 'echo "args: $*"\necho "performance: 42.5 samples_per_second"\n',
  'scripts/fail/run.sh': 'echo "about to fail"\nexit 3\n',
  'scripts/sleep/run.sh': 'echo "sleeping $1"\nsleep "$1"\necho "woke up"\n',
  'scripts/csv/run.sh': 'printf "model,performance,metric\\na,1,x\\n" > perf_multi.csv\necho skip > notes.txt\necho "wrote csv"\n',
  'scripts/env/run.sh': 'printf "WEIRD=[%s]\\n" "$WEIRD"\nprintf "NAME=[%s]\\n" "$MAD_MODEL_NAME"\n',
  'scripts/common/pre_scripts/pre_test.sh': 'echo "Pre-Script test called ${1:-0}"\n',
  'scripts/common/post_scripts/post_test.sh': 'echo "Post-Script test called ${1:-0}"\n',
  'scripts/common/pre_scripts/pre_fail.sh': 'echo "pre failing"\nexit 5\n',
};

const INJECTION = `a b 'c' "d" $HOME \`id\` $(touch pwned-env) ; touch pwned-env2 \\ end`;
const EVIL_NAME = `evil'; touch pwned-name; echo '`;

let root: string;
let hubSeq = 0;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'madengine-executors-'));
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function makeHub(): Promise<string> {
  const hub = path.join(root, `hub-${++hubSeq}`);
  for (const [file, text] of Object.entries(SCRIPTS)) {
    await fs.mkdir(path.dirname(path.join(hub, file)), { recursive: true });
    await fs.writeFile(path.join(hub, file), text);
  }
  return hub;
}

function makeSpec(hub: string, overrides: Partial<ModelRunSpec> = {}): ModelRunSpec {
  const runId = `exec-test-${process.pid}-${++hubSeq}`;
  return runSpec({
    runId,
    hubDir: hub,
    script: 'scripts/perf/run.sh',
    timeoutSeconds: 60,
    outputDir: path.join(hub, 'out'),
    logFile: path.join(hub, 'logs', `${runId}.run.live.log`),
    ...overrides,
  });
}

/** Resolves when `text` appeared in the streamed output (for aborting a run mid-flight). */
function waitForOutput(spec: ModelRunSpec, text: string): Promise<void> {
  let seen = '';
  return new Promise((resolve) => {
    spec.onOutput = (chunk) => {
      seen += chunk.toString('utf8');
      if (seen.includes(text)) resolve();
    };
  });
}

/**
 * The behaviour both executors must share; `leftovers` lists what the executor may have left running
 * for a run (containers for docker, nothing for the host).
 */
function sharedBehaviour(
  kind: string,
  setup: (t: TestContext) => Promise<Executor | undefined>,
  specFor: (hub: string, o?: Partial<ModelRunSpec>) => ModelRunSpec,
  leftovers: (runId: string) => Promise<string[]>,
) {
  describe(`${kind} executor`, () => {
    test('a model printing a performance line exits 0 with the line in the log and the model dir removed', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const chunks: Buffer[] = [];
      const spec = specFor(hub, { args: '--batch 8 --name "two words"', onOutput: (chunk) => chunks.push(chunk) });
      const outcome = await executor.run(spec, []);
      assert.equal(outcome.error, undefined);
      assert.equal(outcome.exitCode, 0);
      assert.equal(outcome.timedOut, false);
      const log = await fs.readFile(spec.logFile, 'utf8');
      assert.match(log, /performance: 42\.5 samples_per_second/);
      assert.match(log, /args: --batch 8 --name two words\n/);
      assert.match(log, /⏰ Setting timeout to 60 seconds\./);
      assert.match(log, /^Test Duration: \d+\.\d{6} seconds$/m);
      assert.match(log, /^test_duration: \d+\.\d\ds$/m);
      assert.equal(Buffer.concat(chunks).toString('utf8').includes('performance: 42.5'), true, 'live output streamed');
      assert.ok(outcome.durationSeconds >= 0 && outcome.durationSeconds < 30);
      assert.equal(outcome.modelDir, path.join(hub, 'run_directory'));
      assert.equal(existsSync(outcome.modelDir), false, 'model dir removed');
      assert.deepEqual(await leftovers(spec.runId), []);
    });

    test('a failing model script gives its non-zero exit status and skips post-scripts', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const spec = specFor(hub, { script: 'scripts/fail/run.sh', postScripts: [{ path: 'scripts/common/post_scripts/post_test.sh' }] });
      const outcome = await executor.run(spec, []);
      assert.equal(outcome.error, undefined);
      assert.equal(outcome.exitCode, 3);
      const log = await fs.readFile(spec.logFile, 'utf8');
      assert.match(log, /about to fail/);
      assert.doesNotMatch(log, /Post-Script test called/);
      assert.deepEqual(await leftovers(spec.runId), []);
    });

    test('pre-scripts, model and post-scripts run in order with their args', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const spec = specFor(hub, {
        preScripts: [
          { path: 'scripts/common/pre_scripts/pre_test.sh', args: '1' },
          { path: 'scripts/common/pre_scripts/pre_test.sh', args: '2' },
        ],
        postScripts: [{ path: 'scripts/common/post_scripts/post_test.sh', args: '9' }],
      });
      const outcome = await executor.run(spec, []);
      assert.equal(outcome.exitCode, 0);
      const log = await fs.readFile(spec.logFile, 'utf8');
      const order = ['Pre-Script test called 1', 'Pre-Script test called 2', 'performance: 42.5', 'test_duration:', 'Post-Script test called 9'].map((text) =>
        log.indexOf(text),
      );
      assert.ok(
        order.every((index) => index >= 0),
        `all steps ran:\n${log}`,
      );
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        order,
        'steps in order',
      );
    });

    test('a failing pre-script fails the run before the model runs', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const spec = specFor(hub, { preScripts: [{ path: 'scripts/common/pre_scripts/pre_fail.sh' }] });
      const outcome = await executor.run(spec, []);
      assert.equal(outcome.exitCode, 5);
      const log = await fs.readFile(spec.logFile, 'utf8');
      assert.match(log, /pre-script scripts\/common\/pre_scripts\/pre_fail\.sh failed \(exit status 5\)/);
      assert.doesNotMatch(log, /performance:/);
    });

    test('result files matching the collect patterns are copied to the output dir', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const spec = specFor(hub, { script: 'scripts/csv/run.sh' });
      const outcome = await executor.run(spec, ['perf_multi.csv', '*_output.csv', 'library_trace.csv']);
      assert.equal(outcome.exitCode, 0);
      assert.deepEqual(outcome.collected, [path.join(spec.outputDir, 'perf_multi.csv')]);
      assert.equal(await fs.readFile(path.join(spec.outputDir, 'perf_multi.csv'), 'utf8'), 'model,performance,metric\na,1,x\n');
      assert.equal(existsSync(path.join(spec.outputDir, 'notes.txt')), false);
    });

    test('keepModelDir keeps the model dir with the copied scripts', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const spec = specFor(hub, { keepModelDir: true, preScripts: [{ path: 'scripts/common/pre_scripts/pre_test.sh' }] });
      const outcome = await executor.run(spec, []);
      assert.equal(outcome.exitCode, 0);
      assert.deepEqual((await fs.readdir(outcome.modelDir)).sort(), ['pre_test.sh', 'run.sh']);
    });

    test('env values and model names with quotes, spaces and $ arrive intact and inject nothing', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const spec = specFor(hub, {
        script: 'scripts/env/run.sh',
        modelName: EVIL_NAME,
        env: { WEIRD: INJECTION, MAD_MODEL_NAME: EVIL_NAME },
        keepModelDir: true,
      });
      const outcome = await executor.run(spec, []);
      assert.equal(outcome.exitCode, 0);
      const log = await fs.readFile(spec.logFile, 'utf8');
      assert.ok(log.includes(`WEIRD=[${INJECTION}]\n`), log);
      assert.ok(log.includes(`NAME=[${EVIL_NAME}]\n`), log);
      assert.ok(log.includes(`=== madengine: model ${EVIL_NAME} (run ${spec.runId})`), log);
      for (const dir of [hub, outcome.modelDir]) {
        const files = await fs.readdir(dir);
        assert.deepEqual(
          files.filter((file) => file.startsWith('pwned')),
          [],
          `nothing injected in ${dir}`,
        );
      }
    });

    test('a model over its timeout is killed: timedOut, no exit code, nothing left running', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const spec = specFor(hub, { script: 'scripts/sleep/run.sh', args: '30', timeoutSeconds: 2 });
      const started = Date.now();
      const outcome = await executor.run(spec, []);
      assert.equal(outcome.timedOut, true);
      assert.equal(outcome.cancelled, false);
      assert.equal(outcome.exitCode, null);
      // The kill must actually end the run, well before the model's own 30 s.
      assert.ok(Date.now() - started < 25_000, 'the run ended at the timeout, not when the model finished');
      const log = await fs.readFile(spec.logFile, 'utf8');
      assert.match(log, /sleeping 30/);
      assert.match(log, /timed out after 2 seconds/);
      assert.doesNotMatch(log, /woke up/);
      assert.deepEqual(await leftovers(spec.runId), []);
    });

    test('aborting the signal cancels the run and leaves nothing running', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const controller = new AbortController();
      const spec = specFor(hub, { script: 'scripts/sleep/run.sh', args: '30', timeoutSeconds: null, signal: controller.signal });
      const sleeping = waitForOutput(spec, 'sleeping 30');
      const running = executor.run(spec, []);
      await sleeping;
      controller.abort();
      const outcome = await running;
      assert.equal(outcome.cancelled, true);
      assert.equal(outcome.timedOut, false);
      assert.equal(outcome.exitCode, null);
      const log = await fs.readFile(spec.logFile, 'utf8');
      assert.match(log, /⏰ No timeout set\./);
      assert.doesNotMatch(log, /woke up/);
      assert.deepEqual(await leftovers(spec.runId), []);
    });

    test('an already aborted signal runs nothing', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const spec = specFor(hub, { signal: AbortSignal.abort() });
      const outcome = await executor.run(spec, []);
      assert.equal(outcome.cancelled, true);
      assert.equal(outcome.exitCode, null);
      assert.doesNotMatch(await fs.readFile(spec.logFile, 'utf8'), /performance:/);
    });

    test('skipModelRun prepares the model dir but does not run the model script', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const spec = specFor(hub, { skipModelRun: true, keepModelDir: true, postScripts: [{ path: 'scripts/common/post_scripts/post_test.sh' }] });
      const outcome = await executor.run(spec, []);
      assert.equal(outcome.exitCode, 0);
      const log = await fs.readFile(spec.logFile, 'utf8');
      assert.doesNotMatch(log, /performance:/);
      assert.match(log, /Post-Script test called 0/);
      assert.ok(existsSync(path.join(outcome.modelDir, 'run.sh')));
    });

    test('a script outside the hub is a configuration error before anything runs', async (t) => {
      const executor = await setup(t);
      if (!executor) return;
      const hub = await makeHub();
      const spec = specFor(hub, { preScripts: [{ path: '../outside.sh' }] });
      await assert.rejects(executor.run(spec, []), { name: 'ConfigError', message: /pre-scripts\[0\]\.path '\.\.\/outside\.sh' is outside the model hub/ });
      assert.deepEqual(await leftovers(spec.runId), []);
    });
  });
}

// ---------------------------------------------------------------- docker

let docker: Docker | undefined;
/** A private tag of the base image, so parallel test files never share madengine's container name. */
const testImage = `madengine-executor-test-${process.pid}:latest`;
let imageReady: Promise<boolean> | undefined;
const dockerExecutors: Executor[] = [];

async function dockerSetup(t: TestContext, logger: Logger = memoryLogger()): Promise<Executor | undefined> {
  const infra = await requireInfra(t, { docker: true, registries: false });
  if (!infra) return undefined;
  docker ??= await connectDocker();
  const client = docker;
  imageReady ??= (async () => {
    const [repo, tag] = testImage.split(':') as [string, string];
    await client.getImage(infra.baseImage).tag({ repo, tag });
    return true;
  })();
  await imageReady;
  const executor = dockerExecutor(client, { logger });
  dockerExecutors.push(executor);
  return executor;
}

async function containersOf(runId: string): Promise<string[]> {
  if (!docker) return [];
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN_ID}=${runId}`] } });
  return containers.map((container) => container.Names[0] ?? container.Id);
}

after(async () => {
  for (const executor of dockerExecutors) await executor.cleanup();
  if (docker && imageReady)
    await docker
      .getImage(testImage)
      .remove({ noprune: true })
      .catch(() => undefined);
});

sharedBehaviour('docker', dockerSetup, (hub, o) => makeSpec(hub, { image: testImage, ...o }), containersOf);

describe('docker executor specifics', () => {
  test('container options reach the container: name, labels, env, mounts, workdir', async (t) => {
    const logger = memoryLogger();
    const executor = await dockerSetup(t, logger);
    if (!executor) return;
    const hub = await makeHub();
    const data = path.join(root, `data-${process.pid}`);
    await fs.mkdir(data, { recursive: true });
    await fs.writeFile(path.join(data, 'input.txt'), 'dataset\n');
    await fs.writeFile(
      path.join(hub, 'scripts/perf/run.sh'),
      'cat /data/input.txt\npwd\necho "user=$(whoami)"\ntouch /data/written 2>/dev/null && echo writable || echo readonly\n',
    );
    const spec = makeSpec(hub, { image: testImage, mounts: [{ hostPath: data, containerPath: '/data', readOnly: true }], keepAlive: true });
    const outcome = await executor.run(spec, []);
    assert.equal(outcome.exitCode, 0, await fs.readFile(spec.logFile, 'utf8'));
    assert.equal(outcome.container, containerName(testImage, { runId: spec.runId }));
    const log = await fs.readFile(spec.logFile, 'utf8');
    assert.match(log, /^dataset$/m);
    assert.match(log, /^\/myworkspace\/run_directory$/m);
    assert.match(log, /^user=root$/m);
    assert.match(log, /^readonly$/m);
    // keepAlive: the container is still up, labelled, and the model dir kept.
    const info = await docker!.getContainer(outcome.container!).inspect();
    assert.equal(info.State.Running, true);
    assert.equal(info.Config.Labels['org.madengine.model'], 'dummy');
    assert.deepEqual(await containersOf(spec.runId), [`/${outcome.container}`]);
    assert.ok(existsSync(path.join(outcome.modelDir, 'run.sh')));
    assert.ok(
      logger.lines.some((line) => line.includes(`docker exec -it ${outcome.container} bash`)),
      logger.lines.join('\n'),
    );
    // cleanup() does not take a kept container from the user.
    await executor.cleanup();
    assert.equal((await docker!.getContainer(outcome.container!).inspect()).State.Running, true);
    await docker!.getContainer(outcome.container!).remove({ force: true });
  });

  test('a container of another run of the same image is never removed (names end with the run id)', async (t) => {
    const executor = await dockerSetup(t);
    if (!executor) return;
    const otherRun = `other-run-${process.pid}`;
    const other = await docker!.createContainer({
      name: containerName(testImage, { runId: otherRun }),
      Image: testImage,
      Cmd: ['cat'],
      Tty: true,
      Labels: { [LABEL_RUN_ID]: otherRun },
    });
    await other.start();
    try {
      const hub = await makeHub();
      const spec = makeSpec(hub, { image: testImage });
      const outcome = await executor.run(spec, []);
      assert.equal(outcome.exitCode, 0, await fs.readFile(spec.logFile, 'utf8'));
      assert.notEqual(outcome.container, containerName(testImage, { runId: otherRun }));
      assert.equal((await other.inspect()).State.Running, true, 'the other run keeps its container');
      assert.deepEqual(await containersOf(spec.runId), []);
    } finally {
      await other.remove({ force: true });
    }
  });

  test('an AMD run on an image without a video group still starts (with a warning)', async (t) => {
    const logger = memoryLogger();
    const executor = await dockerSetup(t, logger);
    if (!executor) return;
    const hub = await makeHub();
    const spec = makeSpec(hub, { image: testImage, gpus: { vendor: 'AMD', devices: [], renderMinors: [] } });
    const outcome = await executor.run(spec, []);
    assert.equal(outcome.exitCode, 0, outcome.error);
    assert.ok(logger.lines.some((line) => line.includes("has no 'video' group")));
    assert.deepEqual(await containersOf(spec.runId), []);
  });

  test('a missing image is an outcome error, not a throw, and creates nothing', async (t) => {
    const executor = await dockerSetup(t);
    if (!executor) return;
    const hub = await makeHub();
    const spec = makeSpec(hub, { image: 'madengine-no-such-image:never' });
    const outcome = await executor.run(spec, []);
    assert.equal(outcome.error, 'image madengine-no-such-image:never not found locally: build it or pull it');
    assert.equal(outcome.exitCode, null);
    assert.match(await fs.readFile(spec.logFile, 'utf8'), /not found locally/);
    assert.deepEqual(await containersOf(spec.runId), []);
  });

  test('cleanup() removes a container whose run is still in flight', async (t) => {
    const executor = await dockerSetup(t);
    if (!executor) return;
    const hub = await makeHub();
    const spec = makeSpec(hub, { image: testImage, script: 'scripts/sleep/run.sh', args: '30', timeoutSeconds: null });
    const sleeping = waitForOutput(spec, 'sleeping 30');
    const running = executor.run(spec, []);
    await sleeping;
    assert.equal((await containersOf(spec.runId)).length, 1);
    await executor.cleanup();
    const outcome = await running;
    assert.equal(outcome.cancelled, true);
    assert.equal(outcome.exitCode, null);
    assert.equal(outcome.error, undefined);
    assert.doesNotMatch(await fs.readFile(spec.logFile, 'utf8'), /woke up/);
    assert.deepEqual(await containersOf(spec.runId), []);
  });
});

// ---------------------------------------------------------------- host

sharedBehaviour(
  'host',
  async () => hostExecutor({ logger: memoryLogger() }),
  (hub, o) => makeSpec(hub, o),
  async () => [],
);

describe('host executor specifics', () => {
  test('assigned GPUs are exported, spec.env wins over the base environment, and only listed base variables pass', async () => {
    const hub = await makeHub();
    await fs.writeFile(
      path.join(hub, 'scripts/perf/run.sh'),
      'echo "hip=[${HIP_VISIBLE_DEVICES:-}] cuda=[${CUDA_VISIBLE_DEVICES:-}] base=[$TZ] runner=[${ACTIONS_RUNTIME_TOKEN:-}${UNLISTED_VAR:-}]"\n',
    );
    const executor = hostExecutor({ env: { ...process.env, TZ: 'from-base', ACTIONS_RUNTIME_TOKEN: 'tok', UNLISTED_VAR: 'x' }, logger: memoryLogger() });
    const amd = makeSpec(hub, { gpus: { vendor: 'AMD', devices: [0, 2], renderMinors: [128, 136] }, env: { TZ: 'from-spec' } });
    assert.equal((await executor.run(amd, [])).exitCode, 0);
    assert.match(await fs.readFile(amd.logFile, 'utf8'), /hip=\[0,2\] cuda=\[\] base=\[from-spec\] runner=\[\]/);
    const nvidia = makeSpec(hub, { gpus: { vendor: 'NVIDIA', devices: [1], renderMinors: [] } });
    assert.equal((await executor.run(nvidia, [])).exitCode, 0);
    assert.match(await fs.readFile(nvidia.logFile, 'utf8'), /hip=\[\] cuda=\[1\] base=\[from-base\] runner=\[\]/);
  });

  test('data mounts to another path are refused; same-path mounts are fine', async () => {
    const hub = await makeHub();
    const executor = hostExecutor({ logger: memoryLogger() });
    const moved = makeSpec(hub, { mounts: [{ hostPath: '/tmp', containerPath: '/data', readOnly: false }] });
    const outcome = await executor.run(moved, []);
    assert.match(outcome.error ?? '', /data mounts \(\/tmp -> \/data\) that the host executor cannot make; run it with the docker executor/);
    assert.equal(outcome.exitCode, null);
    const same = makeSpec(hub, { mounts: [{ hostPath: '/tmp', containerPath: '/tmp', readOnly: true }] });
    assert.equal((await executor.run(same, [])).exitCode, 0);
  });

  test('cpuset pins the model with taskset', async () => {
    const hub = await makeHub();
    await fs.writeFile(path.join(hub, 'scripts/perf/run.sh'), 'grep Cpus_allowed_list /proc/self/status\n');
    const spec = makeSpec(hub, { cpuset: '0' });
    const outcome = await hostExecutor({ logger: memoryLogger() }).run(spec, []);
    assert.equal(outcome.exitCode, 0, outcome.error);
    assert.match(await fs.readFile(spec.logFile, 'utf8'), /Cpus_allowed_list:\s+0$/m);
  });
});
