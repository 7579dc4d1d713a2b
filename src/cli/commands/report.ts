/** `madengine report compare | merge | to-html | to-email`: perf.csv results at a workstation, without GitHub. */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigError, ExitCode } from '../../core/errors.ts';
import { consoleLogger } from '../../core/log.ts';
import { parseDirections } from '../../core/report/direction.ts';
import { mergePerfCsvText } from '../../core/report/merge.ts';
import type { ComparisonEntry } from '../../core/report/types.ts';
import { writeFileAtomic } from '../../core/util/atomic-file.ts';
import { compareFiles, csvDigestToHtml, csvFileToHtml, mergeFiles } from '../../pipeline/report.ts';
import { formatTable } from '../table.ts';

interface CompareOptions {
  base: string;
  head: string;
  threshold: string;
  confidence: string;
  metricDirection: string[];
  failOnRegression?: boolean;
  json?: boolean;
  output?: string;
}

export function registerReport(program: Command): void {
  const report = program.command('report').description('Compare, merge and render perf.csv results');

  report
    .command('compare')
    .description('Compare a head perf.csv with a base perf.csv, one row per key (model, metric, GPU, nodes, deployment) naming its class')
    .requiredOption('--base <csv>', 'baseline perf.csv')
    .requiredOption('--head <csv>', 'perf.csv to judge')
    .option('--threshold <percent>', 'minimum change that counts as a regression or an improvement', '5')
    .option('--confidence <level>', 'confidence of the interval that must exclude no change when there are repeats', '0.95')
    .option('--metric-direction <metric=higher|lower>', 'direction override (repeatable)', (value: string, all: string[]) => [...all, value], [])
    .option('--fail-on-regression', 'exit 1 when anything regressed or a head row was rejected')
    .option('--json', 'print the comparison as JSON instead of a table')
    .option('-o, --output <csv>', 'also write the head rows with relative_change filled here')
    .action(async (options: CompareOptions) => {
      const logger = consoleLogger();
      const threshold = numberOption('--threshold', options.threshold, 0, 1000);
      const confidence = numberOption('--confidence', options.confidence, 0.5, 0.999);
      const directions = parseDirections(options.metricDirection.join('\n'), '--metric-direction');
      const { comparison, rows, columns, problems } = await compareFiles({ base: options.base, head: options.head, threshold, confidence, directions, logger });
      if (options.output) await writeFileAtomic(path.resolve(options.output), mergePerfCsvText({ columns, rows, shards: [], duplicates: [], problems: [] }));
      if (options.json) process.stdout.write(JSON.stringify(comparison, null, 2) + '\n');
      else {
        process.stdout.write(formatTable(['CLASS', 'MODEL', 'METRIC', 'GPU', 'BASE', 'HEAD', 'CHANGE', 'REASON'], comparison.entries.map(tableRow)));
        const { counts } = comparison;
        process.stdout.write(
          `\n${counts.regressed} regressed, ${counts.failed} failed, ${counts.missing} missing, ${counts.new} new, ${counts.improved} improved, ${counts.unchanged} unchanged (threshold ${threshold} %, confidence ${confidence})\n`,
        );
      }
      // A rejected head row is a model nobody judged: with --fail-on-regression it fails too.
      if (options.failOnRegression && (comparison.counts.regressed > 0 || problems.length > 0)) process.exitCode = ExitCode.FAILURE;
    });

  report
    .command('merge')
    .description('Merge perf.csv shards into one (stable order, duplicates dropped and reported, malformed rows reported with shard and line)')
    .argument('<csv...>', 'perf.csv shards')
    .requiredOption('-o, --output <csv>', 'merged perf.csv to write')
    .action(async (files: string[], options: { output: string }) => {
      const logger = consoleLogger();
      const merged = await mergeFiles(
        files.map((file) => ({ file })),
        logger,
      );
      await writeFileAtomic(path.resolve(options.output), mergePerfCsvText(merged));
      process.stdout.write(
        `${merged.rows.length} row(s) from ${files.length} shard(s) -> ${options.output}; ${merged.duplicates.length} duplicate(s) dropped, ${merged.problems.length} row(s) rejected\n`,
      );
      // The merge is written either way; a rejected row still makes the exit status say so.
      if (merged.problems.length > 0) process.exitCode = ExitCode.FAILURE;
    });

  report
    .command('to-html')
    .description("Render a perf.csv as HTML (a table and a chart), written beside it as <name>.html (madengine's command)")
    .requiredOption('--csv-file-path <csv>', 'the CSV file')
    .option('-v, --verbose', 'accepted for madengine compatibility')
    .action(async (options: { csvFilePath: string }) => {
      const output = await csvFileToHtml(path.resolve(options.csvFilePath));
      process.stdout.write(`wrote ${output}\n`);
    });

  report
    .command('to-email')
    .description("Render every *.csv of a folder as one HTML digest (madengine's command; no mail is sent)")
    .option('--directory <dir>', 'folder of CSV files (default: the current directory)')
    .addOption(new Option('--dir <dir>', 'same as --directory').hideHelp())
    .option('-o, --output <html>', 'digest file, relative to the folder', 'run_results.html')
    .option('-v, --verbose', 'accepted for madengine compatibility')
    .action(async (options: { directory?: string; dir?: string; output: string }) => {
      const output = await csvDigestToHtml(path.resolve(options.directory ?? options.dir ?? '.'), options.output, consoleLogger());
      if (output) process.stdout.write(`wrote ${output}\n`);
    });
}

function numberOption(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || value < min || value > max) throw new ConfigError(`${flag} ${text}: expected a number from ${min} to ${max}`);
  return value;
}

function tableRow(entry: ComparisonEntry): string[] {
  const side = (stats: ComparisonEntry['head']): string =>
    stats?.mean === undefined ? '-' : `${format(stats.mean)}${stats.samples.length > 1 ? ` ±${format(stats.stddev ?? 0)} (n=${stats.samples.length})` : ''}`;
  const change = entry.relativeChange === undefined ? '-' : `${entry.relativeChange >= 0 ? '+' : ''}${entry.relativeChange.toFixed(2)} %`;
  const gpu = `${entry.key.gpu_architecture || '?'} x${entry.key.n_gpus || '?'}${entry.key.nnodes && entry.key.nnodes !== '1' ? ` (${entry.key.nnodes} nodes)` : ''}`;
  return [entry.class.toUpperCase(), entry.key.model, entry.key.metric, gpu, side(entry.base), side(entry.head), change, entry.reason];
}

function format(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4);
}
