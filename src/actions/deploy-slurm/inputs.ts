/** deploy-slurm's inputs (actions/deploy-slurm/action.yml). */
import path from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { splitTags } from '../../core/hub/tags.ts';
import { cliTimeout } from '../../core/run/timeout.ts';
import { inputReader } from '../../github/inputs.ts';
import { workspace } from '../../github/run-action.ts';
import { COMMON_INPUT_NAMES, readCommonInputs, type CommonInputs } from '../common-inputs.ts';

export const INPUT_NAMES = [
  ...COMMON_INPUT_NAMES,
  'manifest',
  'manifest-artifact',
  'tags',
  'registry',
  'timeout',
  'output',
  'dry-run',
  'continue-on-failure',
  'upload-artifact',
  'artifact-name',
] as const;

export interface Inputs extends CommonInputs {
  /** A build_manifest.json path (absolute), or the name of an artifact holding one. */
  manifest?: string;
  manifestArtifact?: string;
  tags: string[];
  registry?: string;
  /** Resolved timeout (cliTimeout()). */
  timeout: number | null;
  /** Absolute perf.csv path. */
  output: string;
  dryRun: boolean;
  continueOnFailure: boolean;
  uploadArtifact: boolean;
  artifactName?: string;
}

export function readInputs(): Inputs {
  const input = inputReader(INPUT_NAMES);
  const root = workspace();
  const manifest = input.optional('manifest');
  const manifestArtifact = input.optional('manifest-artifact');
  if (manifest && manifestArtifact) throw new ConfigError("inputs 'manifest' and 'manifest-artifact' cannot be used together");
  const tags = splitTags(input.list('tags'));
  if (!manifest && !manifestArtifact && tags.length === 0) throw new ConfigError("give 'manifest', 'manifest-artifact' or 'tags'");
  return {
    ...readCommonInputs(input),
    manifest: manifest && path.resolve(root, manifest),
    manifestArtifact,
    tags,
    registry: input.optional('registry'),
    timeout: cliTimeout(input.integer('timeout', -1), "input 'timeout'"),
    output: path.resolve(root, input.optional('output') ?? 'perf.csv'),
    dryRun: input.boolean('dry-run', false),
    continueOnFailure: input.boolean('continue-on-failure', false),
    uploadArtifact: input.boolean('upload-artifact', true),
    artifactName: input.artifactName('artifact-name'),
  };
}
