import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ConfigError } from '../../../../src/core/errors.ts';
import { LAUNCHERS } from '../../../../src/core/context/schema.ts';
import { SLURM_FILTERS, SLURM_TEMPLATES, nameFilter, renderSlurmTemplate, sbatchPathFilter, shFilter } from '../../../../src/core/deploy/slurm/render.ts';
import { planSlurmJobs, type SlurmPlan } from '../../../../src/core/deploy/slurm/plan.ts';
import { FORWARDED_HOST_ENV } from '../../../../src/core/run/model-env.ts';
import { planInput } from './plan-fixture.ts';

/** bash -n: the script parses. */
function assertBashSyntax(script: string, label: string): void {
  const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  assert.equal(result.status, 0, `${label}: bash -n failed: ${result.stderr}`);
}

function everyScript(plan: SlurmPlan): { label: string; text: string }[] {
  return [...plan.jobs.map((job) => ({ label: job.scriptPath, text: job.script })), ...plan.files.map((file) => ({ label: file.path, text: file.content }))];
}

describe('SLURM templates', () => {
  it('every interpolation ends in a filter (or calls a macro of parts.sh.njk)', () => {
    const filtered = new RegExp(`\\|\\s*(${SLURM_FILTERS.join('|')})\\b(\\([^)]*\\))?\\s*$`);
    for (const [name, text] of Object.entries(SLURM_TEMPLATES)) {
      for (const match of text.matchAll(/\{\{(.*?)\}\}/g)) {
        const inner = match[1]!.trim();
        assert.ok(filtered.test(inner) || /^parts\.\w+\(/.test(inner), `${name}: {{ ${inner} }} has no filter`);
      }
    }
  });

  it('renders every launcher on one node, on two nodes, and on two tasks of one node into scripts bash accepts', () => {
    for (const launcher of LAUNCHERS) {
      for (const [nnodes, tasks] of [
        [1, 1],
        [2, 1],
        [1, 2],
        [4, 1],
      ] as const) {
        if (launcher === 'sglang-disagg' && nnodes * tasks < 3) continue;
        const plan = planSlurmJobs(
          planInput([{ name: `m-${launcher}`, n_gpus: '8', launch: { launcher, nnodes, nprocPerNode: 8, masterPort: 29501, env: { A: 'b' } } }], {
            slurm: {
              partition: 'gpu',
              ntasks_per_node: tasks,
              time: '1:00:00',
              exclusive: true,
              modules: ['rocm/6.2'],
              network_interface: 'ens1',
              mem: '64G',
              account: 'acct',
            },
            distributed: { primus: { cli_extra: '--x 1' } },
          }),
        );
        for (const { label, text } of everyScript(plan)) assertBashSyntax(text, `${launcher} ${nnodes}x${tasks} ${label}`);
        const all = everyScript(plan)
          .map((s) => s.text)
          .join('\n');
        assert.match(all, /^#SBATCH --time=1:00:00$/m);
        assert.match(all, /^#SBATCH --exclusive$/m);
        assert.match(all, /^#SBATCH --account=acct$/m);
        assert.match(all, /^#SBATCH --mem=64G$/m);
        assert.match(all, /^module load 'rocm\/6\.2'/m);
        assert.match(all, /^export NCCL_SOCKET_IFNAME='ens1'$/m);
        assert.match(all, /^export A='b'$/m);
        if (launcher !== 'slurm_multi') assert.match(all, new RegExp(`^export MAD_LAUNCHER_TYPE='${launcher}'$`, 'm'));
        if (launcher === 'torchrun' && nnodes * tasks > 1)
          assert.match(all, /--node_rank='"\$NODE_RANK"' --master_addr='"\$MASTER_ADDR"' --master_port=29501'/);
        if (launcher === 'vllm') assert.match(all, /^export VLLM_TENSOR_PARALLEL_SIZE='8'$/m);
        if (launcher === 'primus') assert.match(all, /^export PRIMUS_CLI_EXTRA='--x 1'$/m);
        if (launcher === 'deepspeed' && nnodes > 1) assert.match(all, /^HOSTFILE_SLOTS='8'$/m);
        if (launcher === 'sglang-disagg') assert.match(all, /^WANT_NODE_IPS='1'$/m);
      }
    }
  });

  it('every variable the rank scripts export reaches the container (model-env.ts FORWARDED_HOST_ENV)', () => {
    const exported = new Set<string>();
    for (const line of SLURM_TEMPLATES['parts.sh.njk']!.split('\n')) {
      const words = /^\s*export\s+(.*)$/.exec(line)?.[1];
      if (words === undefined || words.startsWith('{{')) continue; // the static env: node manifest docker_env_vars
      for (const match of words.matchAll(/(?:^|\s)([A-Z_][A-Z0-9_]*)(?==|\s|$)/g)) exported.add(match[1]!);
    }
    assert.ok(exported.has('MASTER_ADDR') && exported.has('MAD_SLURM_JOB_ID') && exported.has('SGLANG_NODE_IPS'), [...exported].join(' '));
    const missing = [...exported].filter((name) => !FORWARDED_HOST_ENV.includes(name));
    assert.deepEqual(missing, []);
  });

  it('sh always single-quotes; sbatchPath double-quotes for sbatch; name and sbatch reject what they cannot hold', () => {
    assert.equal(shFilter("a'b"), `'a'\\''b'`);
    assert.equal(shFilter(3), `'3'`);
    assert.throws(() => shFilter(undefined), ConfigError);
    assert.throws(() => shFilter('a\0b'), /NUL/);
    assert.equal(sbatchPathFilter('/a b/"c"\\d', 'slurm.output_dir'), '"/a b/\\"c\\"\\\\d"');
    assert.throws(() => sbatchPathFilter('/a\nb', 'slurm.output_dir'), /slurm\.output_dir: path .* control character/);
    assert.equal(nameFilter('A_1'), 'A_1');
    assert.throws(() => nameFilter('A-1'), ConfigError);
    assert.throws(() => renderSlurmTemplate('array.sh.njk', { job: {}, run: {} }), /undefined/); // throwOnUndefined
  });

  it('a filter error surfaces as the ConfigError naming the key', () => {
    const input = planInput([{ name: 'a' }], { slurm: { partition: 'gpu' } });
    const plan = () => planSlurmJobs({ ...input, runId: 'ok-run' });
    assert.doesNotThrow(plan);
    assert.throws(
      () =>
        renderSlurmTemplate('array.sh.njk', {
          job: { header: { jobName: 'x y', comment: 'c', output: '/o', error: '/e', nodes: 1, ntasksPerNode: 1, exclusive: false, options: [] }, models: [] },
          run: { modules: [] },
        }),
      (error: unknown) => error instanceof ConfigError && error.message.startsWith('job name: got "x y"'),
    );
  });
});
