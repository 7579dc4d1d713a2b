/** The cluster branch of the run pipeline checks its SLURM settings before discovery and build. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runModels } from '../../src/pipeline/run.ts';
import { memoryLogger } from '../helpers/logger.ts';

test('a bad slurm.time is refused before the hub is read (a --tags run would otherwise build first)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'madengine-run-cluster-'));
  const logger = memoryLogger();
  await assert.rejects(
    runModels({
      hubDir: path.join(dir, 'no-such-hub'),
      tags: ['dummy'],
      timeout: null,
      context: { text: '{"deploy": "slurm", "slurm": {"time": "soon"}}' },
      manifestOutput: path.join(dir, 'build_manifest.json'),
      output: path.join(dir, 'perf.csv'),
      logger,
    }),
    /slurm\.time: got "soon", expected a SLURM time limit/,
  );
});

test('deploy: k8s is refused before anything runs', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'madengine-run-cluster-'));
  await assert.rejects(
    runModels({
      hubDir: path.join(dir, 'no-such-hub'),
      tags: ['dummy'],
      timeout: null,
      context: { text: '{"deploy": "k8s"}' },
      manifestOutput: path.join(dir, 'build_manifest.json'),
      output: path.join(dir, 'perf.csv'),
      logger: memoryLogger(),
    }),
    /deploy: k8s: the Kubernetes target is not available yet; nothing was run/,
  );
});
