/** Artifact upload/download through @actions/artifact (the results service of the runner). */

import path from 'node:path';
import { MadError, errorMessage } from '../core/errors.ts';

// Loaded on first use: @actions/artifact (with the Azure storage SDK) is most of an action's code,
// and only the steps that upload or download need it.
async function artifactClient() {
  const { DefaultArtifactClient } = await import('@actions/artifact');
  return new DefaultArtifactClient();
}

export async function uploadFiles(
  name: string,
  files: readonly string[],
  rootDirectory: string,
  retentionDays?: number,
): Promise<{ id?: number; size?: number; digest?: string }> {
  const client = await artifactClient();
  try {
    return await client.uploadArtifact(
      name,
      files.map((file) => path.resolve(file)),
      path.resolve(rootDirectory),
      retentionDays ? { retentionDays } : {},
    );
  } catch (error) {
    throw new MadError(`uploading artifact '${name}' failed: ${errorMessage(error)}`, { cause: error });
  }
}

/** Download the artifact `name` of this workflow run into `directory`; a missing artifact is a clear error. */
export async function downloadNamed(name: string, directory: string): Promise<string> {
  const client = await artifactClient();
  let id: number;
  try {
    id = (await client.getArtifact(name)).artifact.id;
  } catch (error) {
    throw new MadError(
      `artifact '${name}' was not found in this workflow run (upload it in an earlier job, e.g. with build-push's upload-artifact input): ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const result = await client.downloadArtifact(id, { path: directory });
  if (result.digestMismatch) throw new MadError(`artifact '${name}' failed its digest check after download`);
  return result.downloadPath ?? directory;
}
