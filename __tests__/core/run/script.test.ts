import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import type { ModelRunSpec } from '../../../src/core/run/executor.ts';
import { runSpec } from '../../helpers/run-spec.ts';
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
    assert.match(script, /^cd '\/myworkspace' \|\|/m);
    assert.match(script, /^rm -rf run_directory && mkdir -p run_directory \|\|/m);
    assert.match(script, /^cp -LR 'scripts\/dummy\/\.' run_directory\/ \|\|/m);
    assert.match(script, /^\( set \+u; cd run_directory && bash 'run\.sh' \)$/m);
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
      /^\( set \+u; cd run_directory && bash \.\.\/scripts\/common\/tools\/wrap\.sh -- bash 'run\.sh' --batch 32 --out "\$MAD_DATAHOME" \)$/m,
    );
    assert.ok(script.includes(`'=== madengine: model o'\\''neil (run run-1)'`));
  });

  test('python models run with python3', () => {
    assert.match(render({ script: 'scripts/py/train.py', args: '--epochs 1' }), /cd run_directory && python3 'train\.py' --epochs 1 \)$/m);
  });

  test('pre-scripts come before the model, post-scripts after it and only when it succeeded', () => {
    const script = render({
      preScripts: [{ path: 'scripts/common/pre_scripts/pre_test.sh', args: '7' }],
      postScripts: [{ path: 'scripts/common/post_scripts/post_test.sh' }],
    });
    const pre = script.indexOf("cp -LR 'scripts/common/pre_scripts/pre_test.sh' run_directory/");
    const preRun = script.indexOf("( set +u; cd run_directory && bash 'pre_test.sh' 7 ) || madengine_fail $?");
    const copyModel = script.indexOf("cp -LR 'scripts/dummy/.' run_directory/");
    const model = script.indexOf("bash 'run.sh' )");
    const guard = script.indexOf('if [[ $madengine_status -eq 0 ]]; then');
    const post = script.indexOf("bash 'post_test.sh' ) || madengine_fail $?");
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
    assert.doesNotMatch(script, /bash 'run\.sh'/);
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
    assert.match(renderRunScript(spec(), { workspace: "/home/me/my hub's" }), /^cd '\/home\/me\/my hub'\\''s' \|\|/m);
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
