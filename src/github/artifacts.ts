/** Artifact upload/download through @actions/artifact (the results service of the runner). */
import path from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { MadError, errorMessage } from '../core/errors.ts';

export async function uploadFiles(name: string, files: readonly string[], rootDirectory: string, retentionDays?: number): Promise<{ id?: number; size?: number; digest?: string }> {
  const client = new DefaultArtifactClient();
  try {
    return await client.uploadArtifact(name, files.map((file) => path.resolve(file)), path.resolve(rootDirectory), retentionDays ? { retentionDays } : {});
  } catch (error) {
    throw new MadError(`uploading artifact '${name}' failed: ${errorMessage(error)}`, { cause: error });
  }
}

/** Download the artifact `name` of this workflow run into `directory`; a missing artifact is a clear error. */
export async function downloadNamed(name: string, directory: string): Promise<string> {
  const client = new DefaultArtifactClient();
  let id: number;
  try {
    id = (await client.getArtifact(name)).artifact.id;
  } catch (error) {
    throw new MadError(`artifact '${name}' was not found in this workflow run (upload it in an earlier job, e.g. with build-push's upload-artifact input): ${errorMessage(error)}`, { cause: error });
  }
  const result = await client.downloadArtifact(id, { path: directory });
  if (result.digestMismatch) throw new MadError(`artifact '${name}' failed its digest check after download`);
  return result.downloadPath ?? directory;
}
