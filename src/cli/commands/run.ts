import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { consoleLogger } from '../../core/log.ts';
import { cliTimeout } from '../../core/run/timeout.ts';
import { parseRunCount } from '../../core/run/repeats.ts';
import type { ModelResult } from '../../core/run/run-model.ts';
import { runModels } from '../../pipeline/run.ts';
import { collect, resolveHub } from '../options.ts';
import { formatTable } from '../table.ts';
import { cancellationSignal } from '../../pipeline/cancellation.ts';

interface RunOptions {
  tags: string[];
  manifestFile?: string;
  registry?: string;
  timeout: string;
  additionalContext?: string;
  additionalContextFile?: string;
  keepAlive?: boolean;
  keepModelDir?: boolean;
  cleanDockerCache?: boolean;
  allowSecretsInImage?: boolean;
  skipModelRun?: boolean;
  manifestOutput: string;
  summaryOutput?: string;
  liveOutput?: boolean;
  output: string;
  dataConfig?: string;
  disableSkipGpuArch?: boolean;
  repeat?: string;
  warmup?: string;
  verbose?: boolean;
  dryRun?: boolean;
  hub?: string;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run models: from a manifest (--manifest-file), or build then run the models --tags selects')
    .option('-t, --tags <tags>', 'tags/model names to build and run (repeatable, comma-separated)', collect, [])
    .option('-m, --manifest-file <file>', 'run the images of this build manifest (no build)')
    .option('-r, --registry <registry>', 'registry to push to during the build of a --tags run')
    .option('--timeout <seconds>', "per-model timeout: -1 = default (7200 s, or the model's own), 0 = none", '-1')
    .option('-c, --additional-context <json>', "additional context: JSON or a Python dict literal (wins over the manifest's)")
    .option('-f, --additional-context-file <file>', 'additional context from a file (the string wins on conflicts)')
    .option('--keep-alive', 'leave containers running after each model (prints how to enter and remove them)')
    .option('--keep-model-dir', 'keep run_directory after each model')
    .option('--clean-docker-cache', 'rebuild images without reuse or cache (with --tags)')
    .option('--allow-secrets-in-image', 'push images even when their history holds a secret build arg (a Dockerfile ARG named like a secret)')
    .option('--skip-model-run', 'prepare each model but do not run its script')
    .option('--manifest-output <file>', 'manifest written by the build of a --tags run', 'build_manifest.json')
    .option('-s, --summary-output <file>', 'write the run summary as JSON here')
    .option('-l, --live-output', 'stream model output to the console')
    .option('-o, --output <file>', 'perf.csv to append results to', 'perf.csv')
    .option('--data-config <file>', 'data provider config, relative to the hub; must exist when given (default: data.json when the hub has one)')
    .option('--disable-skip-gpu-arch', 'run models even when their skip_gpu_arch lists this GPU')
    .option('--repeat <n>', 'measured runs per model (1 to 1000), each its own perf.csv row with its sample number', '1')
    .option('--warmup <n>', 'discarded runs per model before the measured ones (0 to 100); a failing warm-up skips the model', '0')
    .option('--dry-run', 'with "deploy": "slurm": print every job script that would be submitted, and submit nothing')
    .option('-v, --verbose', 'more detail')
    .option('--hub <dir>', 'model hub directory (default: $MODEL_DIR or the current directory)')
    .action(async (options: RunOptions) => {
      if (!/^-?\d+$/.test(options.timeout.trim())) throw new ConfigError(`--timeout ${options.timeout}: expected a whole number of seconds`);
      const repeat = parseRunCount(options.repeat ?? '', 'repeat', '--repeat');
      const warmup = parseRunCount(options.warmup ?? '', 'warmup', '--warmup');
      const logger = consoleLogger({ verbose: options.verbose });
      const { signal, dispose } = cancellationSignal(logger);
      try {
        const result = await runModels({
          hubDir: resolveHub(options.hub),
          tags: options.tags,
          manifestFile: options.manifestFile,
          registry: options.registry,
          timeout: cliTimeout(Number(options.timeout)),
          context: { text: options.additionalContext, file: options.additionalContextFile },
          keepAlive: options.keepAlive,
          keepModelDir: options.keepModelDir,
          cleanDockerCache: options.cleanDockerCache,
          allowSecretsInImage: options.allowSecretsInImage,
          skipModelRun: options.skipModelRun,
          manifestOutput: options.manifestOutput,
          liveOutput: options.liveOutput,
          output: options.output,
          dataConfig: options.dataConfig,
          disableSkipGpuArch: options.disableSkipGpuArch,
          repeat,
          warmup,
          dryRun: options.dryRun,
          logger,
          signal,
        });
        if (result.deployment?.dryRun) return;
        process.stdout.write(resultTable(result.results, { samples: repeat > 1 }));
        const count = (status: string): number => result.results.filter((r) => r.status === status).length;
        process.stdout.write(
          `\n${count('SUCCESS')} succeeded, ${count('FAILURE')} failed, ${count('SKIPPED')} skipped (${result.deployment ? `SLURM jobs ${result.deployment.jobIds.join(', ') || 'none'}` : `executor: ${result.executor}`}); results: ${options.output}\n`,
        );
        if (options.summaryOutput) {
          const summary = {
            run_id: result.runId,
            executor: result.executor,
            ...(result.deployment ? { job_ids: result.deployment.jobIds, jobs: result.deployment.outcomes } : {}),
            results: result.results.map(({ rows: _rows, ...r }) => r),
          };
          await writeFile(path.resolve(options.summaryOutput), JSON.stringify(summary, null, 2) + '\n');
        }
        process.exitCode = result.exitCode;
      } finally {
        dispose();
      }
    });
}

/** `samples`: a SAMPLE column after MODEL (--repeat above 1). */
export function resultTable(results: readonly ModelResult[], { samples = false }: { samples?: boolean } = {}): string {
  const rows = results.map((r) => [
    r.model,
    ...(samples ? [r.sample === undefined ? '' : String(r.sample)] : []),
    r.status,
    r.performance,
    r.metric,
    r.durationSeconds.toFixed(2),
    (r.reason.split('\n')[0] ?? '').slice(0, 100),
  ]);
  return formatTable(['MODEL', ...(samples ? ['SAMPLE'] : []), 'STATUS', 'PERFORMANCE', 'METRIC', 'DURATION (s)', 'REASON'], rows);
}
