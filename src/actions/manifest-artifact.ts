/** build_manifest.json from an artifact (build-push's `upload-artifact`), for the actions that run one. */
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { downloadNamed } from '../github/artifacts.ts';
import { workspace } from '../github/run-action.ts';

export async function downloadManifest(artifact: string): Promise<string> {
  const directory = await downloadNamed(artifact, await mkdtemp(path.join(process.env.RUNNER_TEMP ?? workspace(), 'madengine-manifest-')));
  return path.join(directory, 'build_manifest.json');
}
