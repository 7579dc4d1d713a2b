/**
 * The one bash script both executors run for a model (compat §3.3 "in-container sequence", compat §3.11):
 * fresh model dir, pre-scripts, the model's script dir copied in, the model script under its
 * encapsulate prefix (timed), post-scripts. Rendering is pure so the exact commands can be unit-tested;
 * the executors only decide where it runs (`workspace`: /myworkspace in a container, the hub on the host).
 */
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import { hubRelative } from '../hub/paths.ts';
import type { ModelRunSpec, ScriptStep } from './executor.ts';

/** madengine's model dir name, relative to the workspace. */
export const MODEL_DIR_NAME = 'run_directory';

/** Where the hub is mounted inside containers (madengine's `-v <cwd>:/myworkspace/`). */
export const CONTAINER_WORKSPACE = '/myworkspace';

/** Single-quotes a value for bash: whatever it holds (quotes, $, `, newlines) stays one literal word. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Characters a shell word may hold unquoted and still mean only itself (no expansion, globbing or splitting). */
const PLAIN_WORD = /^[A-Za-z0-9_./+@%-]+$/;

/** A value as one literal shell word, quoted only when it needs it (so `32` and `fp16` stay readable). */
export function shellWord(value: string): string {
  return PLAIN_WORD.test(value) ? value : shellQuote(value);
}

/**
 * The model's run duration as the script printed it (`test_duration: <x.xx>s`, the last one wins),
 * or undefined when the model step never reported one.
 */
export function parseTestDuration(output: string): number | undefined {
  const matches = [...output.matchAll(/^test_duration: ([0-9]+(?:\.[0-9]+)?)s\s*$/gm)];
  const last = matches.at(-1);
  return last === undefined ? undefined : Number(last[1]);
}

/** How the model's script is launched: the dir copied into the model dir and the command run there. */
export interface ModelCommand {
  /** Hub-relative directory whose contents are copied into the model dir. */
  sourceDir: string;
  interpreter: 'bash' | 'python3';
  /** File run inside the model dir. */
  entry: string;
}

/** madengine's resolution: *.sh / *.slurm -> bash, *.py -> python3, anything else is a directory with run.sh. */
export function resolveModelCommand(script: string): ModelCommand {
  const normalized = scriptPath(script, 'script');
  if (/\.(sh|slurm)$/.test(normalized)) {
    return { sourceDir: path.posix.dirname(normalized), interpreter: 'bash', entry: path.posix.basename(normalized) };
  }
  if (normalized.endsWith('.py')) {
    return { sourceDir: path.posix.dirname(normalized), interpreter: 'python3', entry: path.posix.basename(normalized) };
  }
  return { sourceDir: normalized, interpreter: 'bash', entry: 'run.sh' };
}

/**
 * A hub-relative path in posix form; throws a ConfigError when it is empty, absolute or climbs out of
 * the hub, since the container only sees the hub (and the host executor must not run files outside it).
 */
export function scriptPath(value: string, what: string): string {
  const trimmed = value.trim().replaceAll('\\', '/');
  if (trimmed === '') throw new ConfigError(`${what} is empty: expected a path relative to the model hub, e.g. scripts/dummy/run.sh`);
  return hubRelative(trimmed, what, 'expected a path relative to the hub that stays inside it, e.g. scripts/common/pre_scripts/pre_test.sh', value);
}

/** Every line the script itself prints starts with this; the log scan skips such lines (compat §3.7, §3.8). */
export const TOOL_LINE_PREFIX = '=== madengine: ';

/** Line breaks (str.splitlines' set) shown as escapes, so a tool line that quotes user text stays one line. */
function oneLine(text: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\v': '\\v', '\f': '\\f' };
  // eslint-disable-next-line no-control-regex -- these control characters are the point
  return text.replace(/[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/g, (char) => {
    const code = char.charCodeAt(0);
    return named[char] ?? (code < 0x100 ? `\\x${code.toString(16)}` : `\\u${code.toString(16)}`);
  });
}

/** A tool line's text (without its line break): the prefix, then `text` on one line. */
export function toolLine(text: string): string {
  return `${TOOL_LINE_PREFIX}${oneLine(text)}`;
}

/** `printf '%s\n' <text>`: prints any text literally (echo would interpret a leading -e / -n). */
function say(text: string): string {
  return `printf '%s\\n' ${shellQuote(text)}`;
}

/** One tool line: the prefix, then `text` on one line. */
function banner(text: string): string {
  return say(toolLine(text));
}

/** Ends the script with the failed command's status and a tool line saying what failed. */
function failWith(message: string): string {
  return `madengine_fail $? ${shellQuote(oneLine(message))}`;
}

/**
 * Shell words the user wrote (args, encapsulate prefix) are appended unquoted, as madengine does, so
 * `--batch 32 --out "$MAD_DATAHOME"` keeps working; `set +u` because madengine's shell had no -u.
 * The whole line is trusted configuration from the hub / additional context, like upstream; text from
 * tags reaches it already quoted (parseTag).
 */
function userCommand(parts: string[]): string {
  return parts.filter((part) => part.trim() !== '').join(' ');
}

/** A file run in the model dir: `./<name>`, so a name starting with '-' is never read as an option. */
function localFile(name: string): string {
  return shellQuote(`./${name}`);
}

function scriptStep(step: ScriptStep, kind: 'pre-script' | 'post-script', index: number): string[] {
  const source = scriptPath(step.path, `${kind}s[${index}].path`);
  const entry = path.posix.basename(source);
  const label = `${kind} ${source}${step.args?.trim() ? ` ${step.args.trim()}` : ''}`;
  if (step.cwd !== undefined) {
    // madengine's custom data provider: run the hub script in the data directory, no copy.
    return [
      banner(`${label} (in ${step.cwd})`),
      `mkdir -p -- ${shellQuote(step.cwd)} || ${failWith(`cannot create ${step.cwd}`)}`,
      `( set +u; madengine_hub=$PWD; cd -- ${shellQuote(step.cwd)} && ${userCommand(['bash', '"$madengine_hub"/' + shellQuote(source), step.args ?? ''])} ); madengine_end_output || ${failWith(`${label} failed`)}`,
    ];
  }
  return [
    banner(label),
    `cp -LR -- ${shellQuote(source)} ${MODEL_DIR_NAME}/ || ${failWith(`cannot copy ${kind} ${source} into ${MODEL_DIR_NAME}`)}`,
    `( set +u; cd ${MODEL_DIR_NAME} && ${userCommand(['bash', localFile(entry), step.args ?? ''])} ); madengine_end_output || ${failWith(`${label} failed`)}`,
  ];
}

/** Microseconds since the epoch from bash 5's EPOCHREALTIME (whole seconds on older bash). */
const CLOCK_FUNCTION = [
  'madengine_now_us() {',
  '  local now=${EPOCHREALTIME:-}',
  '  if [[ -n $now ]]; then now=${now//[!0-9]/}; echo $((10#$now)); else echo $((SECONDS * 1000000)); fi',
  '}',
];

/**
 * After a user step: a line break, so output that did not end its last line is never glued to the
 * script's next line (e.g. a metric "samples_per_second" + "Test Duration: ..."). Keeps the step's status.
 */
const END_OUTPUT_FUNCTION = ['madengine_end_output() {', '  local status=$?', "  printf '\\n'", '  return "$status"', '}'];

const FAIL_FUNCTION = [
  'madengine_fail() {',
  '  local status=$1; shift',
  '  printf "=== madengine: %s (exit status %s)\\n" "$*" "$status"',
  '  exit "$status"',
  '}',
];

/**
 * The whole sequence as one bash script. It exits with the model script's status; a failing setup
 * step, pre-script or post-script exits with that step's status (madengine fails the run for those too).
 * Post-scripts run only after a successful model step, as upstream (its failed exec skips them).
 */
export function renderRunScript(spec: ModelRunSpec, options: { workspace: string }): string {
  // Validate every path before producing anything, so a bad spec never half-runs.
  const command = resolveModelCommand(spec.script);
  const pre = spec.preScripts.flatMap((step, index) => scriptStep(step, 'pre-script', index));
  const post = spec.postScripts.flatMap((step, index) => scriptStep(step, 'post-script', index));
  const modelLine = userCommand([spec.encapsulate, command.interpreter, localFile(command.entry), spec.args]);

  const lines = [
    '#!/usr/bin/env bash',
    '# Generated by madengine: the model run sequence (compat §3.3).',
    'set -uo pipefail',
    ...FAIL_FUNCTION,
    ...END_OUTPUT_FUNCTION,
    ...CLOCK_FUNCTION,
    `cd -- ${shellQuote(options.workspace)} || ${failWith(`cannot enter the workspace ${options.workspace}`)}`,
    banner(`model ${spec.modelName} (run ${spec.runId})`),
    say(spec.timeoutSeconds === null ? '⏰ No timeout set.' : `⏰ Setting timeout to ${spec.timeoutSeconds} seconds.`),
    `printf '=== madengine: running as %s on %s\\n' "$(whoami 2>/dev/null || id -u 2>/dev/null || echo unknown)" "$(hostname 2>/dev/null || echo unknown)"`,
    `rm -rf ${MODEL_DIR_NAME} && mkdir -p ${MODEL_DIR_NAME} || ${failWith(`cannot create the model dir ${MODEL_DIR_NAME}`)}`,
    ...pre,
    banner(`copying ${command.sourceDir}/. into ${MODEL_DIR_NAME}`),
    `cp -LR -- ${shellQuote(`${command.sourceDir}/.`)} ${MODEL_DIR_NAME}/ || ${failWith(`cannot copy the model's script dir ${command.sourceDir}`)}`,
    // Files created by root in a container must stay writable for a non-root host user.
    `chmod -R a+rw ${MODEL_DIR_NAME} 2>/dev/null || true`,
  ];

  if (spec.skipModelRun) {
    lines.push(banner('skipping the model script (skip model run)'), 'madengine_status=0');
  } else {
    lines.push(
      banner(`model script: ${modelLine}`),
      'madengine_start=$(madengine_now_us)',
      `( set +u; cd ${MODEL_DIR_NAME} && ${modelLine} ); madengine_end_output`,
      'madengine_status=$?',
      'madengine_elapsed=$(( $(madengine_now_us) - madengine_start ))',
      `printf 'Test Duration: %d.%06d seconds\\n' $((madengine_elapsed / 1000000)) $((madengine_elapsed % 1000000))`,
      'madengine_centis=$(( (madengine_elapsed + 5000) / 10000 ))',
      `printf 'test_duration: %d.%02ds\\n' $((madengine_centis / 100)) $((madengine_centis % 100))`,
      `printf '=== madengine: model script exited with status %s\\n' "$madengine_status"`,
    );
  }

  if (post.length > 0) {
    lines.push(
      'if [[ $madengine_status -eq 0 ]]; then',
      ...post.map((line) => `  ${line}`),
      'else',
      `  ${banner('skipping post-scripts: the model script failed')}`,
      'fi',
    );
  }
  lines.push('exit "$madengine_status"', '');
  return lines.join('\n');
}
