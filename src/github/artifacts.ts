/** Artifact upload/download through @actions/artifact (the results service of the runner). */

import path from 'node:path';
import { ConfigError, MadError, errorMessage } from '../core/errors.ts';

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

/**
 * Every artifact of this workflow run whose name matches `pattern` (`*` any characters, `?` one),
 * each into `directory/<name>`, sorted by name. Only the latest upload of each name counts (a re-run
 * attempt re-uploads), and each download is checked against its digest. None matching is [].
 * `from` names another workflow run instead (a workflow_run reporter), read through the REST API.
 */
export async function downloadMatching(
  pattern: string,
  directory: string,
  from?: Omit<DownloadFromRunOptions, 'name' | 'directory'>,
): Promise<{ name: string; path: string }[]> {
  const matches = artifactNameMatcher(pattern);
  const client = await artifactClient();
  const findBy = from && { token: from.token, workflowRunId: from.runId, repositoryOwner: from.owner, repositoryName: from.repo };
  const run = from ? `workflow run ${from.runId}` : 'this workflow run';
  let listed: { name: string; id: number; digest?: string | undefined }[];
  try {
    listed = (await client.listArtifacts({ latest: true, ...(findBy ? { findBy } : {}) })).artifacts;
  } catch (error) {
    throw new MadError(`listing the artifacts of ${run} failed: ${errorMessage(error)}`, { cause: error });
  }
  const wanted = listed.filter((artifact) => matches(artifact.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const downloaded: { name: string; path: string }[] = [];
  for (const artifact of wanted) {
    const into = path.join(directory, subdirectoryFor(artifact.name));
    let result: { downloadPath?: string; digestMismatch?: boolean };
    try {
      result = await client.downloadArtifact(artifact.id, {
        path: into,
        ...(findBy ? { findBy } : {}),
        ...(artifact.digest ? { expectedHash: artifact.digest } : {}),
      });
    } catch (error) {
      throw new MadError(`downloading artifact '${artifact.name}' of ${run} failed: ${errorMessage(error)}`, { cause: error });
    }
    if (result.digestMismatch) throw new MadError(`artifact '${artifact.name}' failed its digest check after download`);
    downloaded.push({ name: artifact.name, path: result.downloadPath ?? into });
  }
  return downloaded;
}

export interface DownloadFromRunOptions {
  /** Needs actions: read on the repository. The API is GITHUB_API_URL's (as @actions/artifact reads it). */
  token: string;
  owner: string;
  repo: string;
  runId: number;
  name: string;
  directory: string;
}

/**
 * Download the artifact `name` of another workflow run (e.g. a baseline run) into `directory`,
 * digest checked. Undefined when that run has no artifact of that name (expired, or never uploaded).
 */
export async function downloadFromRun(options: DownloadFromRunOptions): Promise<string | undefined> {
  const { DefaultArtifactClient, ArtifactNotFoundError } = await import('@actions/artifact');
  const client = new DefaultArtifactClient();
  const findBy = { token: options.token, workflowRunId: options.runId, repositoryOwner: options.owner, repositoryName: options.repo };
  const where = `artifact '${options.name}' of run ${options.runId} in ${options.owner}/${options.repo}`;
  let artifact: { id: number; digest?: string | undefined };
  try {
    artifact = (await client.getArtifact(options.name, { findBy })).artifact;
  } catch (error) {
    if (error instanceof ArtifactNotFoundError) return undefined;
    throw new MadError(`looking up ${where} failed: ${errorMessage(error)}`, { cause: error });
  }
  let result: { downloadPath?: string; digestMismatch?: boolean };
  try {
    result = await client.downloadArtifact(artifact.id, { path: options.directory, findBy, ...(artifact.digest ? { expectedHash: artifact.digest } : {}) });
  } catch (error) {
    throw new MadError(`downloading ${where} failed: ${errorMessage(error)}`, { cause: error });
  }
  if (result.digestMismatch) throw new MadError(`${where} failed its digest check after download`);
  return result.downloadPath ?? options.directory;
}

/** A glob over artifact names: `*` is any run of characters, `?` one character; everything else is literal. */
export function artifactNameMatcher(pattern: string): (name: string) => boolean {
  if (!pattern.trim()) throw new ConfigError(`artifact pattern is empty: give a name or a glob such as 'perf-*'`);
  const source = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  const regex = new RegExp(`^${source}$`, 's');
  return (name) => regex.test(name);
}

/** The service forbids `/` and `\` in names, but `.` and `..` would still leave `directory`. */
function subdirectoryFor(name: string): string {
  if (name === '.' || name === '..' || name === '') throw new MadError(`artifact name '${name}' cannot be used as a directory name`);
  return name;
}
