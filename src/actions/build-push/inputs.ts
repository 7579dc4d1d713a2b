/** build-push's inputs (actions/build-push/action.yml). */
import path from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { splitTags } from '../../core/hub/tags.ts';
import { secretValues } from '../../core/registry/credentials.ts';
import { inputReader, type InputReader } from '../../github/inputs.ts';
import { maskValues } from '../../github/masking.ts';
import { workspace } from '../../github/run-action.ts';
import { COMMON_INPUT_NAMES, jsonInput, readCommonInputs, type CommonInputs } from '../common-inputs.ts';

export const INPUT_NAMES = [
  ...COMMON_INPUT_NAMES,
  'tags',
  'models',
  'registry',
  'username',
  'password',
  'clean-cache',
  'push',
  'allow-secrets-in-image',
  'manifest-output',
  'upload-artifact',
] as const;
type Name = (typeof INPUT_NAMES)[number];

export interface Inputs extends CommonInputs {
  /** Tags from `tags`, else the names of discover's `models` output, else everything. */
  tags: string[];
  registry?: string;
  /** Given together, and only with a registry. */
  login?: { username: string; password: string };
  push: boolean;
  /** Push images whose history holds secret build args (refused without it). */
  allowSecretsInImage: boolean;
  cleanCache: boolean;
  /** Absolute path of build_manifest.json. */
  manifestOutput: string;
  /** Artifact name to upload the manifest under. */
  uploadArtifact?: string;
}

export function readInputs(): Inputs {
  const input = inputReader(INPUT_NAMES);
  const registry = input.optional('registry');
  const username = input.optional('username');
  const password = input.optional('password');
  // Masked at once, so no later message (even an input error) can show it; the secret selection skips values too short to mask.
  if (password) maskValues(secretValues({ input: { password } }));
  if ((username === undefined) !== (password === undefined)) throw new ConfigError("inputs 'username' and 'password' go together: give both or neither");
  if (username && !registry) throw new ConfigError("inputs 'username'/'password' need 'registry'");
  return {
    ...readCommonInputs(input),
    tags: selectedTags(input),
    registry,
    ...(username && password ? { login: { username, password } } : {}),
    push: input.boolean('push', true),
    allowSecretsInImage: input.boolean('allow-secrets-in-image', false),
    cleanCache: input.boolean('clean-cache', false),
    manifestOutput: path.resolve(workspace(), input.string('manifest-output') || 'build_manifest.json'),
    uploadArtifact: input.artifactName('upload-artifact'),
  };
}

function selectedTags(input: InputReader<Name>): string[] {
  const tags = splitTags(input.list('tags'));
  const models = jsonInput(input, 'models') as { name?: unknown }[] | undefined;
  if (models !== undefined) {
    if (!Array.isArray(models) || models.some((m) => typeof m?.name !== 'string')) {
      throw new ConfigError("input 'models' must be discover's output: a JSON array of model records with a name");
    }
    if (tags.length) throw new ConfigError("inputs 'tags' and 'models' cannot be used together");
    return models.map((m) => m.name as string);
  }
  return tags.length ? tags : ['all'];
}
