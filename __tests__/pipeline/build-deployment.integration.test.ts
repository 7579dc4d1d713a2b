/**
 * What a build does with a deployment context and with registry_auth, against the real Docker engine
 * and the htpasswd registry of scripts/test-infra.sh: the deployment is stored in the manifest and
 * `run --manifest-file` resolves it with no runtime context; registry_auth logs in and is stored nowhere.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type Docker from 'dockerode';
import { ExitCode } from '../../src/core/errors.ts';
import { readManifest } from '../../src/core/manifest/manifest.ts';
import { deployTarget, launchSettings } from '../../src/core/deploy/settings.ts';
import { connectDocker } from '../../src/engines/docker/connection.ts';
import { buildModels } from '../../src/pipeline/build.ts';
import { effectiveRunContext } from '../../src/pipeline/run-context.ts';
import { memoryLogger } from '../helpers/logger.ts';
import { repoRoot } from '../helpers/node.ts';
import { requireInfra, type InfraEnv } from '../helpers/infra.ts';

let work: string;
let docker: Docker;
const created = new Set<string>();

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'madengine-build-deploy-it-'));
  docker = await connectDocker();
});
after(async () => {
  for (const ref of created) execFileSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' });
  await rm(work, { recursive: true, force: true });
});

async function exampleHub(name: string): Promise<string> {
  const hub = path.join(work, name);
  await cp(path.join(repoRoot, 'examples/mad'), hub, { recursive: true });
  await rm(path.join(hub, 'credential.json'), { force: true });
  await writeFile(path.join(hub, 'docker', 'stamp.txt'), `${name} ${process.pid} ${Date.now()}\n`);
  return hub;
}

async function build(hub: string, text: string, registry?: string) {
  const logger = memoryLogger();
  const manifestOutput = path.join(hub, 'build_manifest.json');
  const result = await buildModels({ hubDir: hub, tags: ['dummy'], context: { text }, docker, manifestOutput, logger, ...(registry ? { registry } : {}) });
  for (const [image, entry] of Object.entries(result.manifest.built_images)) {
    created.add(image);
    if (entry.registry_image) created.add(entry.registry_image);
  }
  return { result, logger, manifestOutput };
}

test("the design documents' SLURM build example: run --manifest-file deploys it with no context at all", async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await exampleHub('slurm-build');
  const { result, manifestOutput } = await build(
    hub,
    `{
    "deploy": "slurm", "launcher": "vllm", "nnodes": 1, "nproc_per_node": 8,
    "vllm": {"tensor_parallel_size": 8, "enable_expert_parallel": true, "max_model_len": 32768},
    "slurm": {"partition": "gpu", "nodes": 1, "time_limit": 3600, "modules": ["rocm/5.7.0"]}}`,
  );
  assert.equal(result.exitCode, ExitCode.SUCCESS);
  const manifest = await readManifest(manifestOutput);
  assert.equal(manifest.deployment_config?.target, 'slurm');
  assert.deepEqual(manifest.deployment_config?.slurm, { partition: 'gpu', nodes: 1, time: '01:00:00', modules: ['rocm/5.7.0'] });
  assert.equal(manifest.deployment_config?.launcher, 'vllm');

  const context = effectiveRunContext(manifest, {}, manifestOutput);
  assert.equal(deployTarget(context, manifest), 'slurm');
  const model = Object.values(manifest.built_models)[0]!;
  const settings = launchSettings(context, model);
  assert.deepEqual([settings.launcher, settings.nnodes, settings.nprocPerNode, settings.masterPort], ['vllm', 1, 8, 29500]);
  assert.deepEqual(settings.env, { VLLM_TENSOR_PARALLEL_SIZE: '8', VLLM_ENABLE_EXPERT_PARALLEL: '1', VLLM_MAX_MODEL_LEN: '32768' });
  assert.equal(context.slurm?.time, '01:00:00');

  // A runtime context overrides it key by key.
  const local = effectiveRunContext(manifest, { deploy: 'local', slurm: { time_limit: 600 } }, manifestOutput);
  assert.equal(deployTarget(local, manifest), 'local');
  assert.equal(local.slurm?.time, '00:10:00');
  assert.equal(local.slurm?.partition, 'gpu');
});

test('registry_auth is the login for --registry: a good one pushes, a wrong one fails, and the password is stored nowhere', async (t) => {
  const infra = (await requireInfra(t, { docker: true, registries: true })) as InfraEnv | undefined;
  if (!infra) return;
  const hub = await exampleHub('registry-auth');
  const auth = (password: string) => JSON.stringify({ gpu_vendor: 'AMD', registry_auth: { username: infra.user, password } });

  const good = await build(hub, auth(infra.password), infra.authRegistry);
  assert.equal(good.result.exitCode, ExitCode.SUCCESS, JSON.stringify(good.result.failedPushes));
  const manifestText = await readFile(good.manifestOutput, 'utf8');
  assert.ok(!manifestText.includes(infra.password), 'the password is not in build_manifest.json');
  assert.doesNotMatch(manifestText, /registry_auth/);
  assert.ok(!good.logger.lines.join('\n').includes(infra.password), 'nor in the log');

  const wrong = `wrong-${process.pid}-registry-auth`;
  const bad = await build(hub, auth(wrong), infra.authRegistry);
  assert.equal(bad.result.exitCode, ExitCode.BUILD_FAILURE, 'the context login is the one used');
  assert.match(bad.result.failedPushes[0]!.error, new RegExp(`login to ${infra.authRegistry.replace('.', '\\.')} as ${infra.user} failed`));
  const everything = [bad.logger.lines.join('\n'), await readFile(bad.manifestOutput, 'utf8'), JSON.stringify(bad.result.failedPushes)].join('\n');
  assert.ok(!everything.includes(wrong), 'a wrong password is masked too');
});

test('registry_auth without --registry is an error before anything is built', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await exampleHub('registry-auth-alone');
  await assert.rejects(
    build(hub, '{"registry_auth": {"username": "u", "password": "secret"}}'),
    /registry_auth: given without a registry, expected --registry/,
  );
});
