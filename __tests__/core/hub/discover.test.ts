import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DiscoveryError } from '../../../src/core/errors.ts';
import { discoverModels } from '../../../src/core/hub/discover.ts';
import { findJsonSyntaxError, lineColumnAt, parseJsonText } from '../../../src/core/util/json-file.ts';
import { MODEL_DEFAULTS, modelSchema } from '../../../src/core/hub/model.ts';
import { normaliseModel } from '../../../src/core/hub/normalise.ts';
import { pythonJoin, pythonNormpath, subCataloguePath } from '../../../src/core/hub/paths.ts';
import { selectModels } from '../../../src/core/hub/tags.ts';

// Dynamic catalogues need a python3; without one those tests are skipped (and say why), not failed.
const needsPython = { skip: spawnSync('python3', ['-c', 'pass']).status === 0 ? false : 'python3 is not installed' };

const exampleHub = fileURLToPath(new URL('../../../examples/mad', import.meta.url));

let scratch: string;
let hubCount = 0;
before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'madengine-hub-test-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A hub in a fresh temp dir from { 'relative/path': contents }. */
async function makeHub(files: Record<string, string>): Promise<string> {
  const root = path.join(scratch, `hub${++hubCount}`);
  await mkdir(root, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return root;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** Assert `promise` rejects with a DiscoveryError whose message matches every pattern; returns it. */
async function rejectsWith(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<DiscoveryError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DiscoveryError, `expected a DiscoveryError, got ${String(caught)}`);
  for (const pattern of patterns) assert.match(caught.message, pattern);
  return caught;
}

const dynamicFile = (body: string): string => `from madengine.utils.discover_models import CustomModel\n${body}\n`;

describe('discoverModels: the example hub', needsPython, () => {
  it('discovers every model in order with rewritten paths', async () => {
    const catalogue = await discoverModels(exampleHub);
    assert.equal(catalogue.hubDir, exampleHub);
    const rows = catalogue.models.map(({ model, origin }) => [origin.kind, origin.file, origin.index, model.name, model.dockerfile, model.scripts]);
    assert.deepEqual(rows, [
      ['root', 'models.json', 0, 'dummy', 'docker/dummy', 'scripts/dummy/run.sh'],
      ['root', 'models.json', 1, 'dummy_fp16', 'docker/dummy', 'scripts/dummy/run.sh'],
      ['root', 'models.json', 2, 'dummy_multi', 'docker/dummy', 'scripts/dummy/run_multi.sh'],
      ['root', 'models.json', 3, 'dummy_ctx', 'docker/dummy_ctx', 'scripts/dummy/run_ctx.sh'],
      ['static', 'scripts/dummy2/models.json', 0, 'dummy2/model1', 'docker/dummy', 'scripts/dummy2/run.sh'],
      ['static', 'scripts/dummy2/models.json', 1, 'dummy2/model2', 'docker/dummy', 'scripts/dummy2/run.sh'],
      ['dynamic', 'scripts/dummy3/get_models_json.py', 0, 'dummy3/model3', 'docker/dummy', 'scripts/dummy3/run.sh'],
      ['dynamic', 'scripts/dummy3/get_models_json.py', 1, 'dummy3/model4', 'docker/dummy', 'scripts/dummy3/run.sh'],
    ]);
  });

  it('applies CustomModel defaults and update_model() to dynamic models', async () => {
    const { models } = await discoverModels(exampleHub);
    const model3 = models.find((entry) => entry.model.name === 'dummy3/model3')?.model;
    const model4 = models.find((entry) => entry.model.name === 'dummy3/model4')?.model;
    assert.ok(model3 && model4);
    assert.equal(model3.timeout, 7200);
    assert.equal(model3.args, '');
    assert.equal(model3.url, '');
    assert.deepEqual(model3.tags, ['dummies', 'dummy3_group']);
    assert.equal(model4.args, '--variant model4');
    assert.equal(model4.n_gpus, '0');
    assert.equal(model4.owner, 'examples@madengine.invalid');
  });

  it('keeps the fields the later phases rely on', async () => {
    const { models } = await discoverModels(exampleHub);
    const byName = new Map(models.map((entry) => [entry.model.name, entry.model]));
    assert.equal(byName.get('dummy')?.n_gpus, '0');
    assert.deepEqual(byName.get('dummy')?.tags, ['dummies', 'smoke']);
    assert.equal(byName.get('dummy_fp16')?.args, '--precision fp16');
    assert.equal(byName.get('dummy_multi')?.multiple_results, 'perf_dummy.csv');
  });

  it('selects models across catalogues in the order madengine would', async () => {
    const catalogue = await discoverModels(exampleHub);
    const selected = selectModels(catalogue, ['smoke', 'dummy2_group', 'dummy3_group', 'dummy2/model2']);
    assert.deepEqual(
      selected.map((entry) => entry.model.name),
      ['dummy', 'dummy2/model1', 'dummy2/model2', 'dummy3/model3', 'dummy3/model4'],
    );
    assert.equal(selectModels(catalogue, ['dummy2/model2:batch-size=32'])[0]?.model.args, ' --batch-size 32');
    assert.equal(selectModels(catalogue, ['dummies']).length, catalogue.models.length);
  });

  it('leaves no __pycache__ behind in the hub', async () => {
    await discoverModels(exampleHub);
    assert.deepEqual((await readdir(path.join(exampleHub, 'scripts/dummy3'))).sort(), ['get_models_json.py', 'run.sh']);
  });
});

describe('discoverModels: catalogues', () => {
  it('needs no scripts/ directory', async () => {
    const hub = await makeHub({ 'models.json': json([{ name: 'a' }]) });
    const { models } = await discoverModels(hub);
    assert.deepEqual(
      models.map((entry) => entry.model.name),
      ['a'],
    );
  });

  it('gives JSON models madengine CustomModel defaults (args "" instead of a crash)', async () => {
    const hub = await makeHub({ 'models.json': json([{ name: 'a', n_gpus: 2, tags: 'x, y', extra: { k: 1 } }]) });
    const [first] = (await discoverModels(hub)).models;
    assert.ok(first);
    assert.equal(first.model.args, '');
    assert.equal(first.model.n_gpus, '2');
    assert.equal(first.model.timeout, 7200);
    assert.deepEqual(first.model.tags, ['x', 'y']);
    assert.deepEqual(first.model.extra, { k: 1 });
  });

  it('reads sub-catalogue directories in sorted order and ignores directories without a catalogue', needsPython, async () => {
    const sub = (name: string): string => json([{ name, dockerfile: 'd', scripts: 's.sh' }]);
    const hub = await makeHub({
      'models.json': json([{ name: 'root' }]),
      'scripts/zeta/models.json': sub('m'),
      'scripts/alpha/models.json': sub('m'),
      'scripts/Mid/models.json': sub('m'),
      'scripts/common/tool.sh': 'echo',
      'scripts/readme.txt': 'not a directory',
      'scripts/beta/get_models_json.py': dynamicFile('def list_models():\n    return [CustomModel(name="m")]'),
      'scripts/aaa/get_models_json.py': dynamicFile('def list_models():\n    return [CustomModel(name="m")]'),
    });
    const { models } = await discoverModels(hub);
    assert.deepEqual(
      models.map((entry) => entry.model.name),
      ['root', 'Mid/m', 'alpha/m', 'zeta/m', 'aaa/m', 'beta/m'],
    );
  });

  it('rewrites sub-catalogue paths like os.path.normpath(join("scripts", dir, path))', needsPython, async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/s/models.json': json([
        { name: 'up', dockerfile: '../../docker/x', scripts: './run.sh' },
        { name: 'abs', dockerfile: '/abs/docker/x', scripts: 'sub/dir/' },
        { name: 'empty', dockerfile: '', scripts: 'a/../b.sh' },
      ]),
      'scripts/y/get_models_json.py': dynamicFile(
        'def list_models():\n    return [CustomModel(name="dyn", dockerfile="docker/dummy", scripts="run.sh"), CustomModel(name="bare")]',
      ),
    });
    const paths = (await discoverModels(hub)).models.map((entry) => [entry.model.name, entry.model.dockerfile, entry.model.scripts]);
    assert.deepEqual(paths, [
      ['s/up', 'docker/x', 'scripts/s/run.sh'],
      ['s/abs', '/abs/docker/x', 'scripts/s/sub/dir'],
      ['s/empty', 'scripts/s', 'scripts/s/b.sh'],
      ['y/dyn', 'scripts/y/docker/dummy', 'scripts/y/run.sh'],
      ['y/bare', 'scripts/y', 'scripts/y'],
    ]);
  });

  it("gives a dynamic model the same defaults as a JSON one (the Python stand-in's CustomModel agrees with MODEL_DEFAULTS)", needsPython, async () => {
    const hub = await makeHub({
      'models.json': json([{ name: 'j' }]),
      'scripts/d/get_models_json.py': dynamicFile('def list_models():\n    return [CustomModel(name="m")]'),
    });
    const [fromJson, fromPython] = (await discoverModels(hub)).models.map((entry) => entry.model);
    assert.deepEqual(fromJson, { name: 'j', ...MODEL_DEFAULTS });
    assert.deepEqual(fromPython, { ...fromJson, name: 'd/m', dockerfile: 'scripts/d', scripts: 'scripts/d' });
  });

  it('rewrites a dynamic model once even when it is listed (and selected) repeatedly', needsPython, async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/d/get_models_json.py': dynamicFile('M = CustomModel(name="m", dockerfile="docker/x", tags=["t", "u"])\ndef list_models():\n    return [M]'),
    });
    const catalogue = await discoverModels(hub);
    const selected = selectModels(catalogue, ['t', 'u', 'd/m']);
    assert.equal(selected.length, 1);
    assert.equal(selected[0]?.model.dockerfile, 'scripts/d/docker/x');
  });

  it('keeps attributes a CustomModel subclass adds, and ignores name/tag changes in update_model', needsPython, async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/d/get_models_json.py': dynamicFile(
        [
          'class Mine(CustomModel):',
          '    def update_model(self):',
          '        self.env_vars = {"A": "1"}',
          '        self.name = "renamed"',
          '        self.tags = ["changed"]',
          '        self.n_gpus = 4',
          'def list_models():',
          '    return [Mine(name="m", tags=["t"])]',
        ].join('\n'),
      ),
    });
    const [first] = (await discoverModels(hub)).models;
    assert.equal(first?.model.name, 'd/m');
    assert.deepEqual(first?.model.tags, ['t']);
    assert.deepEqual(first?.model.env_vars, { A: '1' });
    assert.equal(first?.model.n_gpus, '4');
  });

  it('runs get_models_json.py with the hub root as cwd, and script output does not disturb results', needsPython, async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'names.txt': 'from_cwd\n',
      'scripts/d/get_models_json.py': dynamicFile(
        [
          'import os, sys',
          'print("noise on stdout {not json")',
          'sys.stdout.write("more")',
          'os.system("echo from a child process")',
          'def list_models():',
          '    print("listing")',
          '    return [CustomModel(name=open("names.txt").read().strip())]',
        ].join('\n'),
      ),
    });
    const { models } = await discoverModels(hub);
    assert.deepEqual(
      models.map((entry) => entry.model.name),
      ['d/from_cwd'],
    );
  });

  it('accepts a UTF-8 byte order mark', async () => {
    const hub = await makeHub({ 'models.json': `\ufeff${json([{ name: 'a' }])}` });
    assert.equal((await discoverModels(hub)).models.length, 1);
  });
});

describe('discoverModels: errors', () => {
  it('a missing hub directory', async () => {
    const missing = path.join(scratch, 'no-such-hub');
    await rejectsWith(discoverModels(missing), /hub directory/, /no-such-hub/);
  });

  it('a missing models.json names the file', async () => {
    const hub = await makeHub({ 'scripts/a/run.sh': '' });
    const error = await rejectsWith(discoverModels(hub), /models\.json: not found/);
    assert.equal(error.file, path.join(hub, 'models.json'));
    assert.equal(error.exitCode, 1);
  });

  it('shows paths the way the caller named the hub', async () => {
    const hub = await makeHub({ 'models.json': '[' });
    const relative = path.relative(process.cwd(), hub);
    const error = await rejectsWith(discoverModels(relative));
    assert.equal(error.file, path.join(relative, 'models.json'));
  });

  it('malformed JSON reports file, line and column', async () => {
    const hub = await makeHub({ 'models.json': '[\n  {"name": "a"},\n  {"name": "b",}\n]\n' });
    const error = await rejectsWith(discoverModels(hub), /models\.json:3:16: invalid JSON: trailing comma before '}'/);
    assert.equal(error.line, 3);
    assert.equal(error.column, 16);
    assert.equal(error.file, path.join(hub, 'models.json'));
  });

  it('malformed JSON in a sub-catalogue names that file', async () => {
    const hub = await makeHub({ 'models.json': '[]', 'scripts/s/models.json': "[{'name': 'x'}]" });
    const error = await rejectsWith(discoverModels(hub), /scripts\/s\/models\.json:1:3: invalid JSON: property names must use double quotes/);
    assert.equal(error.line, 1);
  });

  it('a catalogue that is not a list', async () => {
    const hub = await makeHub({ 'models.json': json({ name: 'a' }) });
    await rejectsWith(discoverModels(hub), /models\.json: expected a JSON list of model objects, found an object/);
  });

  it('invalid entries name the file, index, model and key, all at once', async () => {
    const hub = await makeHub({ 'models.json': json([{ name: 'ok' }, { name: 'bad', n_gpus: true }, { tags: ['x'] }, 'text']) });
    const error = await rejectsWith(
      discoverModels(hub),
      /models\.json\[1\] \('bad'\): key 'n_gpus': expected a string or a number .*, found boolean true/,
      /models\.json\[2\]: key 'name' is required/,
      /models\.json\[3\]: expected a model object, found string "text"/,
    );
    assert.equal(error.file, path.join(hub, 'models.json'));
  });

  it('a sub-catalogue entry without dockerfile or scripts', async () => {
    const hub = await makeHub({ 'models.json': '[]', 'scripts/s/models.json': json([{ name: 'm', scripts: 'run.sh' }]) });
    await rejectsWith(discoverModels(hub), /scripts\/s\/models\.json\[0\] \('m'\): key 'dockerfile' is required in a sub-catalogue/);
  });

  it('both catalogue kinds in one directory', async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/both/models.json': '[]',
      'scripts/both/get_models_json.py': dynamicFile('def list_models():\n    return []'),
    });
    await rejectsWith(discoverModels(hub), /scripts\/both: has both models\.json and get_models_json\.py/);
  });

  it('duplicate model names across catalogues name both files', async () => {
    const hub = await makeHub({
      'models.json': json([{ name: 'x' }, { name: 's/m' }]),
      'scripts/s/models.json': json([{ name: 'm', dockerfile: 'd', scripts: 'r.sh' }]),
    });
    await rejectsWith(discoverModels(hub), /duplicate model name 's\/m'/, /models\.json\[1\]/, /scripts\/s\/models\.json\[0\]/);
  });

  it('duplicate model names within one catalogue', async () => {
    const hub = await makeHub({ 'models.json': json([{ name: 'x' }, { name: 'x' }]) });
    await rejectsWith(discoverModels(hub), /duplicate model name 'x'.*models\.json\[0\].*models\.json\[1\]/);
  });

  it('a get_models_json.py that raises: file, line and the exception', needsPython, async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/boom/get_models_json.py': dynamicFile('def list_models():\n    raise ValueError("no models today")'),
    });
    const error = await rejectsWith(discoverModels(hub), /scripts\/boom\/get_models_json\.py:3: ValueError: no models today/);
    assert.equal(error.file, path.join(hub, 'scripts/boom/get_models_json.py'));
    assert.equal(error.line, 3);
  });

  it('every failing get_models_json.py is reported', needsPython, async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/a/get_models_json.py': 'def list_models(:\n',
      'scripts/b/get_models_json.py': dynamicFile('import not_a_module_anywhere'),
      'scripts/c/get_models_json.py': dynamicFile('def list_models():\n    return []'),
      'scripts/d/get_models_json.py': dynamicFile('X = 1'),
      'scripts/e/get_models_json.py': 'def list_models():\n    return [{"name": "plain dict"}]\n',
      'scripts/f/get_models_json.py': dynamicFile('import sys\ndef list_models():\n    sys.exit(3)'),
      'scripts/g/get_models_json.py': dynamicFile('def list_models():\n    return None'),
    });
    await rejectsWith(
      discoverModels(hub),
      /6 get_models_json\.py files failed/,
      /scripts\/a\/get_models_json\.py:1: SyntaxError/,
      /scripts\/b\/get_models_json\.py:2: ModuleNotFoundError: No module named 'not_a_module_anywhere'/,
      /scripts\/d\/get_models_json\.py: no list_models\(\) function/,
      /scripts\/e\/get_models_json\.py: list_models\(\) item 0 is a dict, not a CustomModel/,
      /scripts\/f\/get_models_json\.py:4: SystemExit: 3/,
      /scripts\/g\/get_models_json\.py: list_models\(\) returned NoneType; it must return a list of CustomModel objects/,
    );
  });

  it('invalid fields from a get_models_json.py name the file and key', needsPython, async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/d/get_models_json.py': dynamicFile('def list_models():\n    return [CustomModel(name="m", timeout="soon")]'),
    });
    await rejectsWith(
      discoverModels(hub),
      /scripts\/d\/get_models_json\.py\[0\] \('m'\): key 'timeout': expected a whole number of seconds .*, found string "soon"/,
    );
  });

  it('a hanging get_models_json.py times out naming that file', needsPython, async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/a_fine/get_models_json.py': dynamicFile('def list_models():\n    return [CustomModel(name="m")]'),
      'scripts/b_hangs/get_models_json.py': dynamicFile('import time\nprint("about to hang")\ndef list_models():\n    time.sleep(600)'),
    });
    const error = await rejectsWith(
      discoverModels(hub, { timeoutMs: 2500 }),
      /scripts\/b_hangs\/get_models_json\.py: did not finish within 2\.5 s/,
      /about to hang/,
    );
    assert.equal(error.file, path.join(hub, 'scripts/b_hangs/get_models_json.py'));
  });

  it('a get_models_json.py that kills the interpreter is named', needsPython, async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/a/get_models_json.py': dynamicFile('def list_models():\n    return [CustomModel(name="m")]'),
      'scripts/b/get_models_json.py': dynamicFile('import os\nos._exit(7)'),
    });
    await rejectsWith(discoverModels(hub), /scripts\/b\/get_models_json\.py: python3 exited with status 7 while loading this file/);
  });

  it('a missing python3 says which file needed it', async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/d/get_models_json.py': dynamicFile('def list_models():\n    return []'),
    });
    await rejectsWith(
      discoverModels(hub, { python: path.join(scratch, 'no-python3-here') }),
      /no-python3-here' was not found/,
      /scripts\/d\/get_models_json\.py/,
    );
  });

  it('a missing python3 is no problem for a hub without dynamic catalogues', async () => {
    const hub = await makeHub({ 'models.json': json([{ name: 'a' }]) });
    const { models } = await discoverModels(hub, { python: path.join(scratch, 'no-python3-here') });
    assert.equal(models.length, 1);
  });

  it('cancellation stops a running get_models_json.py', needsPython, async () => {
    const hub = await makeHub({
      'models.json': '[]',
      'scripts/d/get_models_json.py': dynamicFile('import time\ntime.sleep(600)'),
    });
    const controller = new AbortController();
    const pending = discoverModels(hub, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stopped by test')), 300);
    await assert.rejects(pending, /stopped by test/);
  });
});

describe('JSON and path helpers', () => {
  it('finds the position of JSON syntax errors', () => {
    const cases: [string, number, RegExp][] = [
      ['', 0, /expected a value, found end of file/],
      ['[1,]', 3, /trailing comma before '\]'/],
      ['{"a" 1}', 5, /expected ':'/],
      ['{"a": 1 "b": 2}', 8, /expected ',' or '}'/],
      ['[True]', 1, /'True' is Python/],
      ['["a\nb"]', 3, /control character/],
      ['["abc', 1, /unterminated string/],
      ['[1] x', 4, /after the end of the JSON value/],
      ['["\\x"]', 2, /invalid escape/],
      ['[01]', 2, /expected ',' or '\]'/],
    ];
    for (const [text, offset, reason] of cases) {
      const fault = findJsonSyntaxError(text);
      assert.ok(fault, `no error found in ${JSON.stringify(text)}`);
      assert.equal(fault.offset, offset, JSON.stringify(text));
      assert.match(fault.reason, reason);
      assert.throws(() => JSON.parse(text)); // the scanner agrees with JSON.parse that it is invalid
    }
    for (const valid of ['[]', ' {"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"]} ', '"x"']) {
      assert.equal(findJsonSyntaxError(valid), undefined, valid);
    }
  });

  it('converts offsets to 1-based lines and columns', () => {
    assert.deepEqual(lineColumnAt('ab\ncd\n', 0), { line: 1, column: 1 });
    assert.deepEqual(lineColumnAt('ab\ncd\n', 4), { line: 2, column: 2 });
    assert.deepEqual(lineColumnAt('ab\ncd\n', 6), { line: 3, column: 1 });
  });

  it('parseJsonText returns values and raises located errors', () => {
    assert.deepEqual(parseJsonText('[{"a": 1}]', 'f.json'), [{ a: 1 }]);
    assert.throws(
      () => parseJsonText('[\n  1,\n]', 'f.json'),
      (error: unknown) => {
        assert.ok(error instanceof DiscoveryError);
        assert.equal(error.message, "f.json:3:1: invalid JSON: trailing comma before ']'");
        return true;
      },
    );
  });

  it('normalises paths like Python os.path', () => {
    assert.equal(pythonNormpath(''), '.');
    assert.equal(pythonNormpath('a/b/'), 'a/b');
    assert.equal(pythonNormpath('/'), '/');
    assert.equal(pythonNormpath('a/./b/../c'), 'a/c');
    assert.equal(pythonNormpath('../x'), '../x');
    assert.equal(pythonJoin('scripts', 'd', ''), 'scripts/d/');
    assert.equal(pythonJoin('scripts', 'd', '/abs'), '/abs');
    assert.equal(subCataloguePath('dummy2', '../../docker/dummy'), 'docker/dummy');
    assert.equal(subCataloguePath('d', '../../../outside'), '../outside');
  });
});

describe('normaliseModel', () => {
  const corpus: unknown[] = [
    { name: 'a' },
    { extra_first: 1, name: 'a', env_vars: { A: '1' }, args: '--x', deprecated: true },
    { name: 'a', dockerfile: 'docker/x', dockercontext: 'ctx', scripts: 's.sh', url: 'u', cred: 'c', owner: 'o', data: 'd' },
    { name: 'a', n_gpus: 8, timeout: 360, training_precision: 'fp16', multiple_results: 'r.csv', skip_gpu_arch: 'gfx90a, A100' },
    { name: 'a', n_gpus: '-1', timeout: null, tags: ' x , ,y ' },
    { name: 'a', tags: [' x ', '', 'y'], skip_gpu_arch: ['gfx90a', 'gfx942'] },
    { name: 'a', timeout: '600' },
    { name: 'a', timeout: 1.5, n_gpus: 0 },
    { name: '' },
    { name: 3 },
    {},
    { name: 'a', n_gpus: true },
    { name: 'a', timeout: 'soon' },
    { name: 'a', tags: [1, 2] },
    { name: 'a', args: null },
    { name: 'a', dockerfile: 7, scripts: [] },
    [],
    'text',
    null,
  ];

  it('gives exactly what modelSchema gives (values and key order) or the same issues', () => {
    for (const raw of corpus) {
      const expected = modelSchema.safeParse(raw);
      const actual = normaliseModel(raw);
      assert.equal(actual.success, expected.success, JSON.stringify(raw));
      if (actual.success && expected.success) assert.equal(JSON.stringify(actual.data), JSON.stringify(expected.data), JSON.stringify(raw));
      if (!actual.success && !expected.success) assert.deepEqual(actual.issues, expected.error.issues, JSON.stringify(raw));
    }
  });

  it('does not share the tags list with the input', () => {
    const tags = ['x'];
    const result = normaliseModel({ name: 'a', tags });
    assert.ok(result.success);
    assert.notEqual(result.data.tags, tags);
  });
});

describe('discoverModels: names that cannot form an image name (issue 9 item 16)', () => {
  it('rejects them naming models.json, the model and what is valid', async () => {
    const hub = await makeHub({ 'models.json': json([{ name: 'ok_Model/v1.2' }, { name: 'bert large' }, { name: 'a:b' }, { name: 'x..y' }]) });
    const error = await rejectsWith(
      discoverModels(hub),
      /invalid models in .*models\.json:/,
      /models\.json\[1\] \('bert large'\): key 'name': model name 'bert large' cannot form a Docker image name \(ci-<name>_<dockerfile>\): it must be lower-case letters and digits joined by/,
      /models\.json\[2\] \('a:b'\): key 'name'/,
      /models\.json\[3\] \('x\.\.y'\): key 'name'/,
    );
    assert.doesNotMatch(error.message, /ok_Model/);
  });
  it('rejects a name too long for image and log file names (it failed the build with ENAMETOOLONG)', async () => {
    const long = 'm'.repeat(266);
    const hub = await makeHub({ 'models.json': json([{ name: long }, { name: 'm'.repeat(128) }]) });
    const error = await rejectsWith(discoverModels(hub), /models\.json\[0\] .*is 266 bytes long: at most 128 are allowed/);
    assert.doesNotMatch(error.message, /models\.json\[1\]/);
  });
  it('checks sub-catalogue names with their directory prefix', async () => {
    const hub = await makeHub({ 'models.json': '[]', 'scripts/d/models.json': json([{ name: 'has space', dockerfile: 'x', scripts: 'run.sh' }]) });
    await rejectsWith(discoverModels(hub), /scripts\/d\/models\.json\[0\] \('has space'\): key 'name': model name 'd\/has space' cannot form/);
  });
});
