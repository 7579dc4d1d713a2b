import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ContextHeaderError,
  declaredArgs,
  dockerfileArchArg,
  hasBareArchArg,
  headerMismatches,
  inferGpuVendor,
  parseContextHeader,
  secretMountIds,
} from '../../../src/core/images/dockerfile.ts';

describe('parseContextHeader (compat §2.2)', () => {
  it('reads the Python dict from the first line', () => {
    const header = parseContextHeader("# CONTEXT {'gpu_vendor': 'AMD', 'guest_os': 'UBUNTU'}\nFROM rocm/pytorch\n");
    assert.deepEqual(header, {
      values: { gpu_vendor: 'AMD', guest_os: 'UBUNTU' },
      text: "{'gpu_vendor': 'AMD', 'guest_os': 'UBUNTU'}",
      line: 1,
    });
  });

  it('finds it anywhere in the first 5 lines, CRLF included', () => {
    const text = "ARG BASE_DOCKER=x\r\n\r\n# comment\r\n\r\n# CONTEXT {'ctx_test': '1'}\r\nFROM x\r\n";
    assert.deepEqual(parseContextHeader(text)?.values, { ctx_test: '1' });
    assert.equal(parseContextHeader(text)?.line, 5);
  });

  it('ignores a header below line 5 and files without one', () => {
    assert.equal(parseContextHeader("1\n2\n3\n4\n5\n# CONTEXT {'a': 'b'}\n"), undefined);
    assert.equal(parseContextHeader('FROM ubuntu\n'), undefined);
    assert.equal(parseContextHeader('#CONTEXT {}\n'), undefined);
  });

  it('reports where an unparsable header is', () => {
    assert.throws(
      () => parseContextHeader("FROM x\n# CONTEXT {'gpu_vendor': AMD}\n"),
      (error: unknown) =>
        error instanceof ContextHeaderError &&
        error.line === 2 &&
        error.column === 26 &&
        /not a Python dict literal/.test(error.message) &&
        /'AMD' is not a literal/.test(error.message),
    );
  });

  it('rejects a header that is not a dict, or two headers', () => {
    assert.throws(() => parseContextHeader("# CONTEXT ['AMD']\n"), /must be a dict/);
    assert.throws(
      () => parseContextHeader("# CONTEXT {'a': '1'}\n# CONTEXT {'b': '2'}\n"),
      (error: unknown) => error instanceof ContextHeaderError && error.line === 2 && /second/.test(error.message),
    );
  });
});

describe('headerMismatches (compat §2.2 Context.filter)', () => {
  it('ignores keys the context lacks and compares the rest as strings', () => {
    assert.deepEqual(headerMismatches({ gpu_vendor: 'AMD', extra: 'x' }, { gpu_vendor: 'AMD' }), []);
    assert.deepEqual(headerMismatches({ gpu_vendor: 'NVIDIA' }, { gpu_vendor: 'AMD' }), ['gpu_vendor']);
    assert.deepEqual(headerMismatches({ ctx_test: '1' }, { ctx_test: 1 }), []);
    assert.deepEqual(headerMismatches({ ctx_test: 1 }, { ctx_test: '1' }), []);
    assert.deepEqual(headerMismatches({ flag: true }, { flag: 'True' }), []);
    assert.deepEqual(headerMismatches({ ctx_test: 'None' }, { ctx_test: 'None' }), []);
  });

  it('never matches a non-scalar context value', () => {
    assert.deepEqual(headerMismatches({ docker_build_arg: '{}' }, { docker_build_arg: {} }), ['docker_build_arg']);
  });
});

describe('dockerfileArchArg (compat §2.4)', () => {
  it('reads ARG then ENV defaults, quotes stripped', () => {
    assert.equal(dockerfileArchArg('FROM x\nARG MAD_SYSTEM_GPU_ARCHITECTURE=gfx942\n'), 'gfx942');
    assert.equal(dockerfileArchArg('arg mad_system_gpu_architecture="gfx90a"\n'), 'gfx90a');
    assert.equal(dockerfileArchArg("ENV MAD_SYSTEM_GPU_ARCHITECTURE='gfx908'\n"), 'gfx908');
    assert.equal(dockerfileArchArg('ENV MAD_SYSTEM_GPU_ARCHITECTURE gfx908\n'), 'gfx908');
    assert.equal(dockerfileArchArg('ENV MAD_SYSTEM_GPU_ARCHITECTURE=gfx908\nARG MAD_SYSTEM_GPU_ARCHITECTURE=gfx942\n'), 'gfx942');
  });

  it('gives undefined for no, empty or commented-out defaults', () => {
    assert.equal(dockerfileArchArg('FROM x\n'), undefined);
    assert.equal(dockerfileArchArg('ARG MAD_SYSTEM_GPU_ARCHITECTURE\n'), undefined);
    assert.equal(dockerfileArchArg('ARG MAD_SYSTEM_GPU_ARCHITECTURE=""\n'), undefined);
    assert.equal(dockerfileArchArg('# ARG MAD_SYSTEM_GPU_ARCHITECTURE=gfx942\n'), undefined);
  });
});

describe('hasBareArchArg (compat §2.4, §7.3 vectors)', () => {
  it('matches the upstream heuristics', () => {
    assert.equal(hasBareArchArg('FROM x\nARG MAD_SYSTEM_GPU_ARCHITECTURE=gfx942\n'), false);
    assert.equal(hasBareArchArg('FROM x\nARG MAD_SYSTEM_GPU_ARCHITECTURE\n'), true);
    assert.equal(hasBareArchArg('FROM x\nRUN echo hi\n'), false);
    assert.equal(hasBareArchArg('ARG MAD_SYSTEM_GPU_ARCHITECTURE\nARG MAD_SYSTEM_GPU_ARCHITECTURE=gfx90a\n'), false);
  });

  it('treats an empty default as bare and ignores comments and other variables', () => {
    assert.equal(hasBareArchArg('ARG MAD_SYSTEM_GPU_ARCHITECTURE=\n'), true);
    assert.equal(hasBareArchArg('  arg mad_system_gpu_architecture  \n'), true);
    assert.equal(hasBareArchArg('# ARG MAD_SYSTEM_GPU_ARCHITECTURE\n'), false);
    assert.equal(hasBareArchArg('ARG MAD_SYSTEM_GPU_ARCHITECTURE_EXTRA\n'), false);
  });
});

describe('inferGpuVendor (compat §2.2 step 4)', () => {
  it('uses the file name first', () => {
    assert.equal(inferGpuVendor('docker/dummy.ubuntu.amd.Dockerfile', 'FROM nvidia/cuda'), 'AMD');
    assert.equal(inferGpuVendor('docker/dummy.ubuntu.nvidia.Dockerfile', 'FROM rocm/pytorch'), 'NVIDIA');
    assert.equal(inferGpuVendor('docker/x.AMD', ''), 'AMD');
  });

  it('falls back to the text when it has a FROM', () => {
    assert.equal(inferGpuVendor('docker/x.Dockerfile', 'FROM rocm/pytorch:latest\n'), 'AMD');
    assert.equal(inferGpuVendor('docker/x.Dockerfile', 'FROM nvcr.io/nvidia/pytorch:24.01\n'), 'NVIDIA');
    assert.equal(inferGpuVendor('docker/x.Dockerfile', 'FROM ubuntu:22.04\n'), '');
    assert.equal(inferGpuVendor('docker/x.Dockerfile', 'from rocm/pytorch\n'), '');
  });
});

describe('declaredArgs and secretMountIds (issue 9 item 2)', () => {
  it('collects ARG names of every stage, several per line, with and without defaults; comments do not count', () => {
    const text =
      'ARG BASE=rocm\nFROM $BASE AS a\narg MAD_SECRETS_A\n# ARG MAD_SECRETS_COMMENTED\nFROM a\nARG X=1 MAD_SECRETS_B="q r"\nRUN echo ARG MAD_SECRETS_C\n';
    assert.deepEqual([...declaredArgs(text)].sort(), ['BASE', 'MAD_SECRETS_A', 'MAD_SECRETS_B', 'X']);
  });

  it('finds secret mount ids in RUN flags (continuations, quotes, id from target), not in the command text or other mount types', () => {
    const text = [
      'FROM x',
      'RUN --mount=type=cache,target=/root/.cache \\',
      '    --mount=type=secret,id=MAD_SECRETS_HF,required=true \\',
      '    # a comment inside the continuation',
      '    --mount="type=secret,target=/run/secrets/HUB_PASSWORD" pip install x',
      'RUN echo --mount=type=secret,id=NOT_A_FLAG',
      'run --mount=type=secret,id=MAD_SECRETS_HF,dst=/t true',
    ].join('\n');
    assert.deepEqual(secretMountIds(text), ['MAD_SECRETS_HF', 'HUB_PASSWORD']);
  });
});
