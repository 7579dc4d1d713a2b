import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { ModelRunSpec } from '../../../src/core/run/executor.ts';
import { runSpec } from '../../helpers/run-spec.ts';
import { scanLogText } from '../../helpers/log-scan.ts';
import { parseTestDuration, renderRunScript, resolveModelCommand, shellQuote } from '../../../src/core/run/script.ts';

function spec(overrides: Partial<ModelRunSpec> = {}): ModelRunSpec {
  return runSpec(overrides);
}

const render = (overrides: Partial<ModelRunSpec> = {}): string => renderRunScript(spec(overrides), { workspace: '/myworkspace' });

/** What bash makes of a quoted word (bash is everywhere this project runs; no daemon involved). */
function bashEcho(word: string): string {
  const result = spawnSync('bash', ['-c', `printf '%s' ${word}`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: '/nowhere' } });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('shellQuote', () => {
  for (const value of ['plain', '', "it's", 'a b  c', '$HOME `id` $(id) ; rm -rf / \\ "q"', "'''", 'line1\nline2', '-n', 'ünï ⏰']) {
    test(`keeps ${JSON.stringify(value)} one literal word`, () => {
      assert.equal(bashEcho(shellQuote(value)), value);
    });
  }
});

describe('resolveModelCommand', () => {
  test('a .sh script runs with bash in its directory', () => {
    assert.deepEqual(resolveModelCommand('scripts/dummy/run.sh'), { sourceDir: 'scripts/dummy', interpreter: 'bash', entry: 'run.sh' });
  });
  test('a .slurm script runs with bash too', () => {
    assert.deepEqual(resolveModelCommand('scripts/x/job.slurm'), { sourceDir: 'scripts/x', interpreter: 'bash', entry: 'job.slurm' });
  });
  test('a .py script runs with python3', () => {
    assert.deepEqual(resolveModelCommand('scripts/py/train.py'), { sourceDir: 'scripts/py', interpreter: 'python3', entry: 'train.py' });
  });
  test('anything else is a directory with run.sh', () => {
    assert.deepEqual(resolveModelCommand('scripts/dir/'), { sourceDir: 'scripts/dir', interpreter: 'bash', entry: 'run.sh' });
  });
  test('./ and inner .. that stay in the hub are normalized', () => {
    assert.deepEqual(resolveModelCommand('./scripts/a/../b/run.sh'), { sourceDir: 'scripts/b', interpreter: 'bash', entry: 'run.sh' });
  });
  for (const bad of ['../other/run.sh', 'scripts/../../run.sh', '/etc/run.sh', '..']) {
    test(`rejects ${bad} as outside the hub`, () => {
      assert.throws(() => resolveModelCommand(bad), {
        name: 'ConfigError',
        message: new RegExp(`script '${bad.replaceAll('.', '\\.')}' is outside the model hub`),
      });
    });
  }
  test('rejects an empty script path', () => {
    assert.throws(() => resolveModelCommand('  '), { name: 'ConfigError', message: /script is empty/ });
  });
});

describe('renderRunScript', () => {
  test('is valid bash with set -uo pipefail, madengine log lines and the model dir sequence', () => {
    const script = render();
    assert.equal(spawnSync('bash', ['-n', '-c', script]).status, 0);
    assert.match(script, /^set -uo pipefail$/m);
    assert.match(script, /^printf '%s\\n' '⏰ Setting timeout to 7200 seconds\.'$/m);
    assert.match(script, /^cd -- '\/myworkspace' \|\|/m);
    assert.match(script, /^rm -rf run_directory && mkdir -p run_directory \|\|/m);
    assert.match(script, /^cp -LR -- 'scripts\/dummy\/\.' run_directory\/ \|\|/m);
    assert.match(script, /^\( set \+u; cd run_directory && bash '\.\/run\.sh' \); madengine_end_output$/m);
    assert.match(script, /Test Duration: %d\.%06d seconds/);
    assert.match(script, /test_duration: %d\.%02ds/);
    assert.match(script, /^exit "\$madengine_status"$/m);
  });

  test('null timeout says there is none', () => {
    assert.match(render({ timeoutSeconds: null }), /'⏰ No timeout set\.'/);
  });

  test('model args and encapsulate prefix are appended as shell words (madengine-compatible), names and paths quoted', () => {
    const script = render({ args: '--batch 32 --out "$MAD_DATAHOME"', encapsulate: 'bash ../scripts/common/tools/wrap.sh --', modelName: "o'neil" });
    assert.match(
      script,
      /^\( set \+u; cd run_directory && bash \.\.\/scripts\/common\/tools\/wrap\.sh -- bash '\.\/run\.sh' --batch 32 --out "\$MAD_DATAHOME" \); madengine_end_output$/m,
    );
    assert.ok(script.includes(`'=== madengine: model o'\\''neil (run run-1)'`));
  });

  test('python models run with python3', () => {
    assert.match(
      render({ script: 'scripts/py/train.py', args: '--epochs 1' }),
      /cd run_directory && python3 '\.\/train\.py' --epochs 1 \); madengine_end_output$/m,
    );
  });

  test('pre-scripts come before the model, post-scripts after it and only when it succeeded', () => {
    const script = render({
      preScripts: [{ path: 'scripts/common/pre_scripts/pre_test.sh', args: '7' }],
      postScripts: [{ path: 'scripts/common/post_scripts/post_test.sh' }],
    });
    const pre = script.indexOf("cp -LR -- 'scripts/common/pre_scripts/pre_test.sh' run_directory/");
    const preRun = script.indexOf("( set +u; cd run_directory && bash './pre_test.sh' 7 ); madengine_end_output || madengine_fail $?");
    const copyModel = script.indexOf("cp -LR -- 'scripts/dummy/.' run_directory/");
    const model = script.indexOf("bash './run.sh' )");
    const guard = script.indexOf('if [[ $madengine_status -eq 0 ]]; then');
    const post = script.indexOf("bash './post_test.sh' ); madengine_end_output || madengine_fail $?");
    assert.ok([pre, preRun, copyModel, model, guard, post].every((index) => index > 0));
    assert.deepEqual(
      [pre, preRun, copyModel, model, guard, post],
      [pre, preRun, copyModel, model, guard, post].sort((a, b) => a - b),
    );
    assert.match(script, /=== madengine: pre-script scripts\/common\/pre_scripts\/pre_test\.sh 7/);
    assert.match(script, /=== madengine: post-script scripts\/common\/post_scripts\/post_test\.sh'/);
  });

  test('skipModelRun leaves out the model command and its timing', () => {
    const script = render({ skipModelRun: true });
    assert.doesNotMatch(script, /bash '\.\/run\.sh'/);
    assert.doesNotMatch(script, /test_duration/);
    assert.match(script, /^madengine_status=0$/m);
  });

  test('a pre- or post-script outside the hub is rejected, naming which one', () => {
    assert.throws(() => render({ preScripts: [{ path: 'ok.sh' }, { path: '../../etc/evil.sh' }] }), {
      name: 'ConfigError',
      message: /pre-scripts\[1\]\.path '\.\.\/\.\.\/etc\/evil\.sh' is outside the model hub/,
    });
    assert.throws(() => render({ postScripts: [{ path: '/abs/post.sh' }] }), { name: 'ConfigError', message: /post-scripts\[0\]\.path '\/abs\/post\.sh'/ });
  });

  test('the workspace path is quoted', () => {
    assert.match(renderRunScript(spec(), { workspace: "/home/me/my hub's" }), /^cd -- '\/home\/me\/my hub'\\''s' \|\|/m);
  });
});

describe('parseTestDuration', () => {
  test('reads the last test_duration line', () => {
    assert.equal(parseTestDuration('x\ntest_duration: 1.50s\nmore\ntest_duration: 12.34s\n'), 12.34);
  });
  test('ignores lookalikes and returns undefined without one', () => {
    assert.equal(parseTestDuration('my test_duration: 3.00s\ntest_duration: abc\n'), undefined);
  });
  test('tolerates CRLF output', () => {
    assert.equal(parseTestDuration('test_duration: 0.07s\r\n'), 0.07);
  });
});

describe('renderRunScript run by bash (issue 9: untrusted input)', () => {
  const hubs: string[] = [];
  after(() => {
    for (const hub of hubs) rmSync(hub, { recursive: true, force: true });
  });

  /** Writes `files` into a fresh hub, runs the rendered script there like the host executor, returns its output. */
  function runInHub(files: Record<string, string>, overrides: Partial<ModelRunSpec>): { output: string; status: number | null; hub: string } {
    const hub = mkdtempSync(path.join(os.tmpdir(), 'madengine-script-'));
    hubs.push(hub);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(hub, file)), { recursive: true });
      writeFileSync(path.join(hub, file), text);
    }
    const script = renderRunScript(spec({ hubDir: hub, ...overrides }), { workspace: hub });
    const result = spawnSync('bash', ['-c', script], { cwd: hub, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: hub } });
    return { output: result.stdout + result.stderr, status: result.status, hub };
  }

  test("a model whose last line has no newline keeps its metric (nothing of the script's is glued on)", () => {
    const { output, status } = runInHub({ 'scripts/dummy/run.sh': "printf 'performance: 5.5 samples_per_second'" }, {});
    assert.equal(status, 0, output);
    const scan = scanLogText(output);
    assert.equal(scan.performance, '5.5');
    assert.equal(scan.metric, 'samples_per_second');
    assert.match(output, /^Test Duration: /m);
  });

  test('a pre-script without a final newline does not swallow the next tool line', () => {
    const { output } = runInHub({ 'scripts/dummy/run.sh': 'echo ok\n', 'pre.sh': "printf 'pre says FAILED'" }, { preScripts: [{ path: 'pre.sh' }] });
    assert.match(output, /^pre says FAILED\n/m);
    assert.match(output, /^=== madengine: copying scripts\/dummy\/\. into run_directory$/m);
  });

  test('a tool line quoting a name with line breaks stays one line, so the scan skips all of it', () => {
    const { output, status } = runInHub(
      { 'scripts/dummy/run.sh': 'echo "performance: 9 ms"\n' },
      { modelName: 'm\nFAILED\rperformance: 0 none\u2028x', args: '--note FAILED' },
    );
    assert.equal(status, 0, output);
    assert.ok(output.includes('=== madengine: model m\\nFAILED\\rperformance: 0 none\\u2028x (run run-1)\n'), output);
    const scan = scanLogText(output);
    assert.equal(scan.errorPattern, undefined, scan.errorLine);
    assert.deepEqual([scan.performance, scan.metric], ['9', 'ms']);
  });

  test("script paths starting with '-' are paths, never options of cp or the interpreter", () => {
    const files = {
      '--target-directory=elsewhere/run.sh': 'echo "dir script ran"\n',
      'scripts/p/-c.sh': 'echo "dash script ran"\n',
      '--target-directory=pre.sh': 'echo "pre ran"\n',
    };
    const dir = runInHub(files, { script: '--target-directory=elsewhere', preScripts: [{ path: '--target-directory=pre.sh' }], keepModelDir: true });
    assert.equal(dir.status, 0, dir.output);
    assert.match(dir.output, /^pre ran$/m);
    assert.match(dir.output, /^dir script ran$/m);
    assert.equal(existsSync(path.join(dir.hub, 'run_directory', 'run.sh')), true);
    assert.equal(existsSync(path.join(dir.hub, 'elsewhere')), false, 'cp wrote nowhere else');
    const dash = runInHub(files, { script: 'scripts/p/-c.sh' });
    assert.equal(dash.status, 0, dash.output);
    assert.match(dash.output, /^dash script ran$/m);
  });

  test("a python model named '-c...py' runs the file, not python3 -c", { skip: spawnSync('python3', ['-V']).status !== 0 && 'no python3' }, () => {
    const { output, status } = runInHub({ 'scripts/py/-cprint("INJECTED").py': 'print("file ran")\n' }, { script: 'scripts/py/-cprint("INJECTED").py' });
    assert.equal(status, 0, output);
    assert.match(output, /^file ran$/m);
    assert.doesNotMatch(output, /^INJECTED$/m);
  });
});
