import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, ExitCode } from '../../../src/core/errors.ts';
import { parseContextText } from '../../../src/core/context/parse.ts';
import { lineColumnAt as lineColumn } from '../../../src/core/util/json-file.ts';
import { loadAdditionalContext } from '../../../src/core/context/load.ts';
import { mergeContexts } from '../../../src/core/context/merge.ts';
import { parseIndexRanges } from '../../../src/core/context/ranges.ts';
import { KNOWN_CONTEXT_KEYS } from '../../../src/core/context/schema.ts';
import { validateContext } from '../../../src/core/context/validate.ts';

/** The ConfigError `fn` throws (fails the test when it throws nothing or something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.exitCode, ExitCode.INVALID_ARGS);
    return error;
  }
  assert.fail('expected a ConfigError, nothing was thrown');
}

async function configErrorAsync(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError, nothing was thrown');
}

describe('parseContextText', () => {
  it('reads JSON', () => {
    assert.deepEqual(parseContextText('{"gpu_vendor": "AMD", "docker_gpus": "0,1"}', 'ctx'), {
      gpu_vendor: 'AMD',
      docker_gpus: '0,1',
    });
  });

  it("reads madengine's Python dict literals (single quotes, True/None)", () => {
    assert.deepEqual(parseContextText("{'ctx_test': '1', 'debug': True, 'MAD_ROCM_PATH': None}", 'ctx'), {
      ctx_test: '1',
      debug: true,
      MAD_ROCM_PATH: null,
    });
  });

  it('treats empty, whitespace and {} as an empty context', () => {
    for (const text of ['', '   \n\t', '{}', ' {} ']) assert.deepEqual(parseContextText(text, 'ctx'), {});
  });

  it('rejects values that are not objects, naming the source', () => {
    for (const [text, kind] of [
      ['[1, 2]', 'a list'],
      ['"AMD"', 'a string'],
      ['null', 'null'],
      ['42', 'a number'],
    ] as const) {
      const error = configError(() => parseContextText(text, '--additional-context'));
      assert.match(error.message, /^--additional-context: expected an object/);
      assert.ok(error.message.includes(kind), error.message);
    }
  });

  it('reports the line and column of a JSON syntax error', () => {
    const text = '{\n  "gpu_vendor": "AMD",\n  "guest_os": "UBUNTU" "x": 1\n}';
    const error = configError(() => parseContextText(text, 'ctx.json', { file: 'ctx.json' }));
    assert.equal(error.line, 3);
    assert.equal(error.column, 24);
    assert.equal(error.file, 'ctx.json');
    assert.match(error.message, /^ctx\.json: invalid JSON \(or Python dict literal\) at line 3, column 24/);
  });

  it('locates JSON errors V8 reports without a position', () => {
    const error = configError(() => parseContextText('{"a": 1, "b": x}', 'ctx'));
    assert.equal(error.line, 1);
    assert.equal(error.column, 15); // the x
    assert.match(error.message, /: Unexpected token 'x'$/);
  });

  it('reports the Python parser when it got further (a Python literal with a typo)', () => {
    const error = configError(() => parseContextText("{'a': 1,\n 'b': tru}", '--additional-context'));
    assert.equal(error.line, 2);
    assert.equal(error.column, 7);
    assert.match(error.message, /'tru' is not a literal/);
    assert.equal(error.file, undefined);
  });

  it('converts offsets to 1-based line:column', () => {
    assert.deepEqual(lineColumn('ab\ncd', 0), { line: 1, column: 1 });
    assert.deepEqual(lineColumn('ab\ncd', 4), { line: 2, column: 2 });
  });
});

describe('validateContext: defaults and normalisation', () => {
  it('defaults gpu_vendor to AMD and guest_os to UBUNTU', () => {
    const { context, warnings } = validateContext({}, 'ctx');
    assert.equal(context.gpu_vendor, 'AMD');
    assert.equal(context.guest_os, 'UBUNTU');
    assert.deepEqual(warnings, []);
  });

  it('accepts enums in any case and outputs them upper-case', () => {
    const { context } = validateContext({ gpu_vendor: 'nvidia', guest_os: ' CentOS ' }, 'ctx');
    assert.equal(context.gpu_vendor, 'NVIDIA');
    assert.equal(context.guest_os, 'CENTOS');
  });

  it('stringifies docker_build_arg values the way madengine (Python str) does', () => {
    const { context } = validateContext({ docker_build_arg: { BASE_DOCKER: 'rocm/tensorflow', JOBS: 8, SCALE: 1.5, USE_X: true, USE_Y: false } }, 'ctx');
    assert.deepEqual(context.docker_build_arg, {
      BASE_DOCKER: 'rocm/tensorflow',
      JOBS: '8',
      SCALE: '1.5',
      USE_X: 'True',
      USE_Y: 'False',
    });
  });

  it('keeps docker_env_vars.ROCM_PATH null and stringifies other values', () => {
    const { context } = validateContext({ docker_env_vars: { ROCM_PATH: null, ctxtest: 1 } }, 'ctx');
    assert.deepEqual(context.docker_env_vars, { ROCM_PATH: null, ctxtest: '1' });
  });

  it('normalises deploy (string and madengine object form) and launcher aliases', () => {
    assert.equal(validateContext({ deploy: 'SLURM', slurm: { partition: 'gpu' } }, 'ctx').context.deploy, 'slurm');
    assert.equal(validateContext({ deploy: { target: 'kubernetes' }, k8s: {} }, 'ctx').context.deploy, 'k8s');
    assert.equal(validateContext({ deploy: 'docker' }, 'ctx').context.deploy, 'local');
    const { context } = validateContext({ distributed: { launcher: 'sglang_disagg', nnodes: '3' } }, 'ctx');
    assert.deepEqual(context.distributed, { launcher: 'sglang-disagg', nnodes: 3 });
  });

  it('accepts the documented keys of every section', () => {
    const { context, warnings } = validateContext(
      {
        docker_mounts: { '/data': '/tmp' },
        docker_gpus: '0,2-4,5-5,7',
        docker_cpus: '14-18,32,44-44,62',
        tools: [{ name: 'rocprof', cmd: 'rocprof --stats', env_vars: { ROCPROF_X: 1 } }],
        pre_scripts: [{ path: 'scripts/common/pre_scripts/pre_test.sh', args: '1' }],
        post_scripts: [{ path: 'scripts/common/post_scripts/post_test.sh' }],
        encapsulate_script: 'numactl -N 0',
        data: { dummy_data_local: { local: { path: '/tmp', readwrite: 'true' } } },
        gpus_per_node: '-1',
        executor: 'Host',
        rocenv_mode: 'FULL',
        log_error_patterns: ['OOM'],
        slurm: { partition: 'amd', nodes: 2, gpus_per_node: 8, nodelist: ['n1', 'n2'], modules: ['rocm'], exclusive: true },
        distributed: { launcher: 'torchrun', port: 29500, primus: { config_path: 'x.yaml' }, sglang_disagg: { prefill_nodes: 1 } },
        vllm: { tensor_parallel_size: 8, enable_expert_parallel: true, env_vars: { VLLM_ROCM_USE_AITER: '0' } },
        env_vars: { OMP_NUM_THREADS: 8 },
        deployment_config: { target: 'docker', debug: false, env_vars: { A: 'b' } },
      },
      'ctx',
    );
    assert.deepEqual(warnings, []);
    assert.equal(context.gpus_per_node, -1);
    assert.equal(context.executor, 'host');
    assert.equal(context.rocenv_mode, 'full');
    assert.equal(context.slurm?.nodelist, 'n1,n2');
    assert.deepEqual(context.env_vars, { OMP_NUM_THREADS: '8' });
    assert.deepEqual(context.tools?.[0]?.env_vars, { ROCPROF_X: '1' });
  });

  it('accepts the empty docker_gpus madengine stores in manifests', () => {
    assert.equal(validateContext({ docker_gpus: '' }, 'ctx').context.docker_gpus, '');
  });

  it('keeps unknown string keys (Dockerfile CONTEXT filters) without warning', () => {
    const { context, warnings } = validateContext({ ctx_test: '2', my_filter: 'x' }, 'ctx');
    assert.equal(context.ctx_test, '2');
    assert.equal(context.my_filter, 'x');
    assert.deepEqual(warnings, []);
  });
});

describe('validateContext: errors', () => {
  it('names the key path, the value given and the expected type', () => {
    const error = configError(() => validateContext({ slurm: { nodes: 'two' } }, '--additional-context'));
    assert.equal(error.message, '--additional-context: slurm.nodes: got "two", expected a positive integer');
  });

  it('rejects an unknown gpu_vendor with the valid values', () => {
    const error = configError(() => validateContext({ gpu_vendor: 'intel' }, 'ctx'));
    assert.equal(error.message, 'ctx: gpu_vendor: got "intel", expected one of AMD, NVIDIA');
  });

  it('rejects unknown keys inside known sections with a suggestion', () => {
    const error = configError(() => validateContext({ slurm: { partiton: 'gpu' } }, 'ctx'));
    assert.equal(error.message, "ctx: slurm.partiton: unknown key (did you mean 'partition'?)");
  });

  it('lists the valid keys when no suggestion is close', () => {
    const error = configError(() => validateContext({ distributed: { primus: { zzz: 1 } } }, 'ctx'));
    assert.equal(error.message, 'ctx: distributed.primus.zzz: unknown key, expected one of: config_path, cli_extra, backend');
  });

  it('finds unknown keys in list items, records and the deploy object form', () => {
    const error = configError(() => validateContext({ tools: [{ nme: 'rocprof' }], data: { d: { locl: {} } }, deploy: { target: 'slurm', tagret: 1 } }, 'ctx'));
    assert.match(error.message, /ctx: tools\[0\]\.nme: unknown key \(did you mean 'name'\?\)/);
    assert.match(error.message, /ctx: tools\[0\]\.name: got nothing, expected a tool name/);
    assert.match(error.message, /ctx: data\.d\.locl: unknown key \(did you mean 'local'\?\)/);
    assert.match(error.message, /ctx: deploy\.tagret: unknown key \(did you mean 'target'\?\)/);
  });

  it('lists every problem in one error', () => {
    const error = configError(() =>
      validateContext(
        {
          guest_os: 3,
          docker_build_arg: { A: null },
          docker_env_vars: { '1BAD': 'x' },
          docker_mounts: { data: '/tmp' },
          distributed: { launcher: 'torchrn', port: 99999 },
          log_error_patterns: [],
          k8s: { image_pull_policy: 'always' },
        },
        'ctx',
      ),
    );
    const lines = error.message.split('\n');
    assert.equal(lines[0], '8 problems in the additional context:');
    const expected = [
      'ctx: guest_os: got 3, expected one of UBUNTU, CENTOS',
      'ctx: docker_build_arg.A: got null, expected a string, number or boolean (Docker build-arg values)',
      'ctx: docker_env_vars["1BAD"]: got key "1BAD", expected a variable name',
      'ctx: docker_mounts.data: got key "data", expected an absolute container path',
      'ctx: distributed.launcher: got "torchrn", expected one of torchrun,',
      'ctx: distributed.port: got 99999, expected a port number (1-65535)',
      'ctx: log_error_patterns: got [], expected a non-empty list of strings',
      'ctx: k8s.image_pull_policy: got "always", expected Always, IfNotPresent or Never',
    ];
    for (const line of expected)
      assert.ok(
        lines.some((l) => l.trim().startsWith(line)),
        `missing: ${line}\n${error.message}`,
      );
  });

  it('rejects slurm and k8s together without deploy, and k8s with kubernetes', () => {
    const both = configError(() => validateContext({ slurm: {}, k8s: {} }, 'ctx'));
    assert.equal(both.message, 'ctx: slurm and k8s: both given without "deploy", expected "deploy": "slurm" or "k8s" to pick the target');
    const twice = configError(() => validateContext({ k8s: {}, kubernetes: {} }, 'ctx'));
    assert.match(twice.message, /k8s and kubernetes: both given/);
  });

  it('lets deploy pick the target whatever sections are given (the design documents)', () => {
    assert.equal(validateContext({ deploy: 'slurm', slurm: { partition: 'gpu' }, k8s: { namespace: 'ml' } }, 'ctx').context.deploy, 'slurm');
    assert.equal(validateContext({ deploy: 'k8s', slurm: { partition: 'p' } }, 'ctx').context.deploy, 'k8s');
    assert.equal(validateContext({ deploy: 'local', k8s: {} }, 'ctx').context.deploy, 'local');
    const bad = configError(() => validateContext({ deploy: 'openshift' }, 'ctx'));
    assert.match(bad.message, /^ctx: deploy: got "openshift", expected one of local, slurm, k8s/);
  });

  it('rejects a bad docker_gpus / docker_cpus range', () => {
    const reversed = configError(() => validateContext({ docker_gpus: '3-1' }, 'ctx'));
    assert.equal(reversed.message, `ctx: docker_gpus: got "3-1", expected a string like "0,2-4,7" (range '3-1' ends before it starts)`);
    const word = configError(() => validateContext({ docker_cpus: '0,a' }, 'ctx'));
    assert.match(word.message, /docker_cpus: got "0,a", expected .*'a' is not an index or a range/);
  });
});

describe('validateContext: warnings', () => {
  it('warns about a top-level key one edit from a known key', () => {
    const { context, warnings } = validateContext({ gpu_vendr: 'NVIDIA' }, 'ctx');
    assert.equal(context.gpu_vendor, 'AMD'); // the typo did not set the vendor...
    assert.equal(context.gpu_vendr, 'NVIDIA'); // ...but the key survives as a filter
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^ctx: gpu_vendr: not a known option.*\(did you mean 'gpu_vendor'\?\)$/);
  });

  it('warns about unknown keys with non-string values', () => {
    const { warnings } = validateContext({ slrum: { partition: 'p' }, answer: 42 }, 'ctx');
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /slrum: .*not a string.*\(did you mean 'slurm'\?\)/);
    assert.match(warnings[1]!, /answer: not a known option and its value is 42/);
  });

  it('knows every documented top-level key', () => {
    for (const key of ['deploy', 'slurm', 'k8s', 'kubernetes', 'distributed', 'vllm', 'sglang', 'env_vars', 'executor', 'ngpus']) {
      assert.ok(KNOWN_CONTEXT_KEYS.includes(key), key);
    }
  });
});

describe('loadAdditionalContext', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mad-context-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('merges the file and the string, the string winning (shallow)', async () => {
    const file = path.join(dir, 'ctx.json');
    await writeFile(file, JSON.stringify({ ctx_test: '2', docker_env_vars: { A: '1', B: '2' }, guest_os: 'centos' }));
    const { context, raw } = await loadAdditionalContext({ file, text: "{'ctx_test': '1', 'docker_env_vars': {'A': 'x'}}" });
    assert.equal(context.ctx_test, '1');
    assert.deepEqual(context.docker_env_vars, { A: 'x' });
    assert.equal(context.guest_os, 'CENTOS');
    assert.deepEqual(raw, { ctx_test: '1', docker_env_vars: { A: 'x' }, guest_os: 'centos' }); // no defaults in raw
  });

  it('names the file for problems in keys that came from it, the string for the rest', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ slurm: { nodes: 0 } }));
    const error = await configErrorAsync(loadAdditionalContext({ file, text: '{"gpu_vendor": "intel"}', textSource: 'input additional-context' }));
    assert.match(error.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: slurm\\.nodes: got 0`));
    assert.match(error.message, /input additional-context: gpu_vendor: got "intel"/);
  });

  it('rejects a missing file and a file that does not hold an object', async () => {
    const missing = path.join(dir, 'nope.json');
    const notFound = await configErrorAsync(loadAdditionalContext({ file: missing }));
    assert.equal(notFound.file, missing);
    assert.match(notFound.message, /file not found/);
    const list = path.join(dir, 'list.json');
    await writeFile(list, '[1]');
    const notObject = await configErrorAsync(loadAdditionalContext({ file: list }));
    assert.match(notObject.message, /expected an object.*got a list/);
    assert.equal(notObject.file, list);
  });

  it('marks syntax errors in the file with file, line and column', async () => {
    const error = await configErrorAsync(loadAdditionalContext({ file: 'virtual.json', readFile: async () => '{\n  "a": 1\n  "b": 2\n}' }));
    assert.equal(error.file, 'virtual.json');
    assert.equal(error.line, 3);
  });

  it('gives the defaults when neither input is given', async () => {
    const { context, warnings } = await loadAdditionalContext();
    assert.deepEqual(context, { gpu_vendor: 'AMD', guest_os: 'UBUNTU' });
    assert.deepEqual(warnings, []);
  });
});

describe('mergeContexts', () => {
  it('merges nested objects, replaces arrays and scalars, and leaves the inputs alone', () => {
    const base = { docker_env_vars: { A: '1', B: '2' }, tools: [{ name: 'rocprof' }], gpu_vendor: 'AMD' };
    const override = { docker_env_vars: { B: 'x' }, tools: [{ name: 'rpd' }], slurm: { nodes: 2 } };
    assert.deepEqual(mergeContexts(base, override), {
      docker_env_vars: { A: '1', B: 'x' },
      tools: [{ name: 'rpd' }],
      gpu_vendor: 'AMD',
      slurm: { nodes: 2 },
    });
    assert.deepEqual(base.docker_env_vars, { A: '1', B: '2' });
  });

  it('replaces an object by a non-object and ignores undefined overrides', () => {
    assert.deepEqual(mergeContexts({ a: { b: 1 }, c: 1 }, { a: 'flat', c: undefined }), { a: 'flat', c: 1 });
  });

  it('treats a "__proto__" key as data', () => {
    const merged = mergeContexts({}, JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>);
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
    assert.equal((merged as { polluted?: unknown }).polluted, undefined);
    assert.deepEqual(Object.keys(merged), ['__proto__']);
  });
});

describe('parseIndexRanges', () => {
  it('expands ranges, sorts and de-duplicates', () => {
    assert.deepEqual(parseIndexRanges('0,2-4,5-5,7', 'docker_gpus'), [0, 2, 3, 4, 5, 7]);
    assert.deepEqual(parseIndexRanges('7, 3-4 ,3,0', 'docker_cpus'), [0, 3, 4, 7]);
  });

  it('rejects reversed ranges, words, empty lists and empty entries', () => {
    assert.match(configError(() => parseIndexRanges('3-1', 'docker_gpus')).message, /^docker_gpus: got "3-1", expected .*ends before it starts/);
    assert.match(configError(() => parseIndexRanges('a', 'docker_gpus')).message, /'a' is not an index or a range/);
    assert.match(configError(() => parseIndexRanges('', 'docker_cpus')).message, /^docker_cpus: .*the list is empty/);
    assert.match(configError(() => parseIndexRanges('1,,2', 'docker_cpus')).message, /empty entry/);
    assert.match(configError(() => parseIndexRanges('0-99999999', 'docker_cpus')).message, /above/);
  });
});
