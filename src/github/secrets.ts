/**
 * Register every secret the workflow may touch with the runner's log masking before any work
 * starts: credential.json values (and MAD_DOCKERHUB_*), and MAD_SECRETS* environment values.
 */
import * as core from '@actions/core';
import { loadCredentials, secretEnv, secretValues } from '../core/registry/credentials.ts';

export async function maskHubSecrets(hubDir: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const values = secretValues(await loadCredentials(hubDir, env));
  for (const value of Object.values(secretEnv(env))) if (value) values.push(value);
  for (const value of values) core.setSecret(value);
}
