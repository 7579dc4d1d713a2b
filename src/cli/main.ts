/**
 * The madengine CLI. Each command lives in ./commands; this file wires them up and turns
 * errors into madengine's exit codes (0 ok, 1 failure, 2 build, 3 run, 4 invalid arguments).
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.ts';
import { ExitCode, MadError, errorMessage } from '../core/errors.ts';
import { registerDiscover } from './commands/discover.ts';
import { registerBuild } from './commands/build.ts';
import { registerRun } from './commands/run.ts';
import { registerDetect } from './commands/detect.ts';
import { registerReport } from './commands/report.ts';

export function createProgram(): Command {
  const program = new Command('madengine')
    .description('GPU model benchmarking: discover, build and run the models of a MAD-format hub, and report their results')
    .version(`madengine version ${VERSION}`, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerDiscover(program);
  registerBuild(program);
  registerRun(program);
  registerDetect(program);
  registerReport(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.SUCCESS;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.SUCCESS;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0; usage errors were already printed.
      return error.exitCode === 0 ? ExitCode.SUCCESS : ExitCode.INVALID_ARGS;
    }
    if (error instanceof MadError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    if (process.env.MADENGINE_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    return ExitCode.FAILURE;
  }
}
