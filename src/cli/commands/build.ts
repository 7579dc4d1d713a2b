import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { consoleLogger } from '../../core/log.ts';
import type { BuiltImage } from '../../core/manifest/manifest.ts';
import { buildModels } from '../../pipeline/build.ts';
import { splitTags } from '../../core/hub/tags.ts';
import { collect, resolveHub } from '../options.ts';
import { formatTable } from '../table.ts';
import { cancellationSignal } from '../../pipeline/cancellation.ts';

interface BuildOptions {
  tags: string[];
  targetArchs: string[];
  registry?: string;
  batchManifest?: string;
  additionalContext?: string;
  additionalContextFile?: string;
  cleanDockerCache?: boolean;
  allowSecretsInImage?: boolean;
  manifestOutput: string;
  summaryOutput?: string;
  liveOutput?: boolean;
  verbose?: boolean;
  hub?: string;
}

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('Build (and optionally push) the Docker images of the selected models; writes build_manifest.json')
    .option('-t, --tags <tags>', 'tags/model names to build (repeatable, comma-separated)', collect, [])
    .option('-a, --target-archs <archs>', 'GPU architectures to build for, one image each (repeatable, comma-separated)', collect, [])
    .option('-r, --registry <registry>', 'registry to push to, e.g. localhost:5000 or docker.io')
    .option('--batch-manifest <file>', 'madengine batch.json: [{model_name, build_new, registry, registry_image}] (instead of --tags)')
    .option('-c, --additional-context <json>', 'additional context: JSON or a Python dict literal')
    .option('-f, --additional-context-file <file>', 'additional context from a file (the string wins on conflicts)')
    .option('--clean-docker-cache', 'rebuild everything: no image reuse, docker --no-cache')
    .option('--allow-secrets-in-image', 'push images even when their history holds a secret build arg (a Dockerfile ARG named like a secret)')
    .option('-m, --manifest-output <file>', 'where to write the manifest', 'build_manifest.json')
    .option('-s, --summary-output <file>', 'also write the build summary as JSON here')
    .option('-l, --live-output', 'stream build output to the console')
    .option('-v, --verbose', 'more detail')
    .option('--hub <dir>', 'model hub directory (default: $MODEL_DIR or the current directory)')
    .action(async (options: BuildOptions) => {
      if (options.batchManifest && options.tags.length) throw new ConfigError('--batch-manifest and --tags cannot be used together');
      const logger = consoleLogger({ verbose: options.verbose });
      const { signal, dispose } = cancellationSignal(logger);
      try {
        const result = await buildModels({
          hubDir: resolveHub(options.hub),
          tags: options.tags,
          context: { text: options.additionalContext, file: options.additionalContextFile },
          batchManifestFile: options.batchManifest,
          registry: options.registry,
          targetArchs: splitTags(options.targetArchs),
          noCache: options.cleanDockerCache,
          allowSecretsInImage: options.allowSecretsInImage,
          manifestOutput: options.manifestOutput,
          summaryOutput: options.summaryOutput,
          liveOutput: options.liveOutput,
          logger,
          signal,
        });
        const rows = Object.values(result.manifest.built_images).map((image) => [
          image.docker_image,
          image.model ?? '',
          imageStatus(image),
          image.registry_image ?? (image.push_error ? `push failed` : ''),
        ]);
        for (const failed of result.failedBuilds) rows.push([failed.dockerfile ?? '', failed.model, 'FAILED', failed.error.split('\n')[0] ?? '']);
        process.stdout.write(formatTable(['IMAGE', 'MODEL', 'STATUS', 'REGISTRY / ERROR'], rows));
        process.stdout.write(
          `\n${result.built} built, ${result.reused} reused, ${result.failedBuilds.length} failed` +
            `${options.registry ? `, ${result.failedPushes.length} push failure(s)` : ''}; manifest: ${result.manifestPath}\n`,
        );
        process.exitCode = result.exitCode;
      } finally {
        dispose();
      }
    });
}

/** The STATUS column: built, reused (local or registry), or referenced (a batch manifest's build_new: false entry). */
export function imageStatus(image: Pick<BuiltImage, 'reused' | 'reused_from'>): string {
  if (!image.reused) return 'built';
  return image.reused_from ? `reused (${image.reused_from})` : 'referenced (not rebuilt)';
}
