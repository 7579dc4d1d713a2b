import type { Command } from 'commander';
import { consoleLogger } from '../../core/log.ts';
import { discover } from '../../pipeline/discover.ts';
import { formatTable } from '../table.ts';
import { collect, resolveHub } from '../options.ts';

interface DiscoverOptions {
  tags: string[];
  hub?: string;
  json?: boolean;
}

export function registerDiscover(program: Command): void {
  program
    .command('discover')
    .description('List the models of a hub; with --tags, the models those tags select')
    .option('-t, --tags <tags>', 'tags/model names to select (repeatable, comma-separated; "all" for every model)', collect, [])
    .option('--hub <dir>', 'model hub directory (default: $MODEL_DIR or the current directory)')
    .option('--json', 'print a JSON array of model records instead of a table')
    .action(async (options: DiscoverOptions) => {
      const { chosen, tags } = await discover({ hubDir: resolveHub(options.hub), tags: options.tags, logger: consoleLogger() });
      if (options.json) {
        process.stdout.write(
          JSON.stringify(
            chosen.map((entry) => entry.model),
            null,
            2,
          ) + '\n',
        );
        return;
      }
      const rows = chosen.map(({ model, origin }) => [model.name, model.tags.join(','), model.n_gpus, model.dockerfile, model.scripts, origin.file]);
      process.stdout.write(formatTable(['MODEL', 'TAGS', 'GPUS', 'DOCKERFILE', 'SCRIPTS', 'CATALOGUE'], rows));
      const what = tags.length ? `selected by ${tags.join(', ')}` : 'in the hub';
      process.stdout.write(`\n${chosen.length} model(s) ${what}\n`);
    });
}
