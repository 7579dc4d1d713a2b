/**
 * run-local's inputs (actions/run-local/action.yml). The root one-step action.yml declares the
 * same inputs and runs this bundle; its `tags` default is `all`.
 */
import path from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { splitTags } from '../../core/hub/tags.ts';
import { cliTimeout } from '../../core/run/timeout.ts';
import { parseRunCount } from '../../core/run/repeats.ts';
import { inputReader } from '../../github/inputs.ts';
import { workspace } from '../../github/run-action.ts';
import { COMMON_INPUT_NAMES, readCommonInputs, type CommonInputs } from '../common-inputs.ts';

export const INPUT_NAMES = [
  ...COMMON_INPUT_NAMES,
  'manifest',
  'manifest-artifact',
  'tags',
  'timeout',
  'repeat',
  'warmup',
  'keep-alive',
  'output',
  'continue-on-failure',
  'upload-artifact',
  'artifact-name',
] as const;

export interface Inputs extends CommonInputs {
  /** A build_manifest.json path (absolute). */
  manifest?: string;
  /** Or the name of an artifact holding one. */
  manifestArtifact?: string;
  tags: string[];
  /** Resolved timeout (cliTimeout()). */
  timeout: number | null;
  /** Measured runs per model (1 to 1000) and discarded warm-up runs before them (0 to 100). */
  repeat: number;
  warmup: number;
  keepAlive: boolean;
  /** Absolute perf.csv path. */
  output: string;
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
    timeout: cliTimeout(input.integer('timeout', -1), "input 'timeout'"),
    repeat: parseRunCount(input.string('repeat'), 'repeat', "input 'repeat'"),
    warmup: parseRunCount(input.string('warmup'), 'warmup', "input 'warmup'"),
    keepAlive: input.boolean('keep-alive', false),
    output: path.resolve(root, input.optional('output') ?? 'perf.csv'),
    continueOnFailure: input.boolean('continue-on-failure', false),
    uploadArtifact: input.boolean('upload-artifact', true),
    artifactName: input.artifactName('artifact-name'),
  };
}

/** The post step needs only this, and must not fail on inputs the main step already rejected. */
export function readPostInputs(): Pick<Inputs, 'keepAlive' | 'hubDir' | 'output'> {
  const input = inputReader(INPUT_NAMES);
  const root = workspace();
  return {
    keepAlive: input.boolean('keep-alive', false),
    hubDir: path.resolve(root, input.optional('hub') ?? '.'),
    output: path.resolve(root, input.optional('output') ?? 'perf.csv'),
  };
}
