/** The one place that makes an Octokit for our REST calls, and reads what a failed call says. */
import { getOctokit } from '@actions/github';

export type Octokit = ReturnType<typeof getOctokit>;

/** `apiUrl` defaults to GITHUB_API_URL (set on every runner; GHES has its own). */
export function octokit(token: string, apiUrl?: string): Octokit {
  const baseUrl = apiUrl ?? process.env.GITHUB_API_URL;
  return getOctokit(token, baseUrl ? { baseUrl } : {});
}

/** The HTTP status of an Octokit RequestError; undefined for anything else (a network error, a bug). */
export function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status > 0 ? status : undefined;
}
