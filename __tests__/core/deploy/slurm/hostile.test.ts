/**
 * Every value a user controls, rendered into the SLURM scripts and EXECUTED by bash with stub node,
 * scontrol, srun, module and docker on PATH: each value must arrive verbatim and nothing in it may run.
 * A template line that forgets its filter makes this test fail.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../../src/core/errors.ts';
import { planSlurmJobs, type SlurmPlan } from '../../../../src/core/deploy/slurm/plan.ts';
import { planInput } from './plan-fixture.ts';

let root: string;
/** Runs a command that creates a file called PWNED* in the current directory, or at an absolute path. */
let hostile: string;
let pwnAbs: string;

const STUB_NODE = `#!/bin/bash
if [ "$1" = -p ]; then echo 22; exit 0; fi
out="$DUMP_DIR/node.\${SLURM_PROCID:-0}"
printf '%s\\0' "$@" > "$out.argv"
env -0 > "$out.env"
ws=; while [ $# -gt 0 ]; do [ "$1" = --hub ] && ws=$2; shift; done
[ -f "$ws/models.json" ] && echo copied > "$out.hub"
[ -e "$ws/.git" ] && echo leaked > "$out.git"
exit 0
`;
const STUB_SCONTROL = `#!/bin/bash
[ "$1 $2" = "show hostnames" ] && printf 'node-a\\nnode-b\\n'
`;
const STUB_SRUN = `#!/bin/bash
printf '%s\\0' "$@" > "$DUMP_DIR/srun.$$.argv"
while [ $# -gt 0 ] && [ "\${1#--}" != "$1" ]; do shift; done
rc=0
for rank in 0 1; do SLURM_PROCID=$rank SLURM_NTASKS=2 SLURM_LOCALID=$rank "$@" || rc=$?; done
exit $rc
`;
const STUB_RECORD = (name: string): string => `#!/bin/bash\nprintf '%s\\0' "$@" >> "$DUMP_DIR/${name}.argv"\n`;

const nulList = (text: string): string[] => text.split('\0').slice(0, -1);
const envOf = (text: string): Record<string, string> =>
  Object.fromEntries(nulList(text).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Every file named PWNED* under `dir`. */
async function pwned(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (/^PWNED/.test(entry.name)) found.push(path.join(entry.parentPath, entry.name));
  return found;
}

interface Setup {
  plan: SlurmPlan;
  dump: string;
  env: NodeJS.ProcessEnv;
  values: Record<string, string>;
}

async function setup(name: string): Promise<Setup> {
  const base = path.join(root, name);
  const stubs = path.join(base, 'stubs');
  const dump = path.join(base, 'dump');
  // Paths with blanks, quotes, $, backticks and % (SLURM's pattern character).
  const weird = `we ird 'q' "d" $HOME \`x\` 100%`;
  const hub = path.join(base, `hub ${weird}`);
  const nodeBin = path.join(base, `node bin ${weird}`, 'node');
  for (const dir of [stubs, dump, path.join(hub, '.git'), path.join(hub, 'scripts', 'multi'), path.dirname(nodeBin), path.join(base, 'scratch')])
    await mkdir(dir, { recursive: true });
  await writeFile(path.join(hub, 'models.json'), '[]');
  await writeFile(
    path.join(hub, 'scripts', 'multi', 'run.slurm'),
    `#!/bin/bash\nprintf '%s\\0' "$@" > "$DUMP_DIR/multi.argv"\nenv -0 > "$DUMP_DIR/multi.env"\necho "model,performance,metric,status" > perf.csv\n`,
  );
  for (const [file, text] of [
    [nodeBin, STUB_NODE],
    [path.join(stubs, 'scontrol'), STUB_SCONTROL],
    [path.join(stubs, 'srun'), STUB_SRUN],
    [path.join(stubs, 'module'), STUB_RECORD('module')],
    [path.join(stubs, 'docker'), STUB_RECORD('docker')],
  ] as const) {
    await writeFile(file, text);
    await chmod(file, 0o755);
  }
  const values = {
    name: `m ${hostile}`,
    env: `${hostile}\nsecond line $HOME \\ end`,
    iface: `eth0 ${hostile}`,
    module: `rocm/6 ${hostile}`,
    backend: `nccl ${hostile}`,
    cliExtra: `--x ${hostile}`,
    vllm: `v ${hostile}`,
  };
  const input = planInput(
    [
      {
        name: values.name,
        launch: { launcher: 'primus', env: { HOSTILE: values.env, VLLM_X: values.vllm }, ncclSocketIfname: values.iface, communicationBackend: values.backend },
      },
      { name: `multi ${hostile}`, launch: { launcher: 'torchrun', nnodes: 2, env: { HOSTILE: values.env } } },
      {
        key: 'self-model',
        name: `self ${hostile}`,
        scripts: 'scripts/multi/run.slurm',
        args: `--a 'x $(touch PWNED_ARG)' "b \\"c\\"" \`touch PWNED_TICK\``,
        extra: { docker_image: 'registry.example/img:1' },
      },
    ],
    {
      slurm: { modules: [values.module], node: nodeBin, nodelist: 'node-a,node-b', shared_workspace: hub },
      distributed: { primus: { cli_extra: values.cliExtra } },
    },
    { hubDir: '/nonexistent', outputDir: path.join(base, `out ${weird}`), resultsDir: path.join(base, `results ${weird}`), runId: 'hostile-run', timeout: 60 },
  );
  const plan = planSlurmJobs(input);
  for (const dir of plan.directories) await mkdir(dir, { recursive: true });
  for (const file of [...plan.files, ...plan.jobs.map((j) => ({ path: j.scriptPath, content: j.script }))]) await writeFile(file.path, file.content);
  for (const manifest of plan.nodeManifests) await writeFile(manifest.path, manifest.json, { mode: 0o600 });
  const env = {
    PATH: `${stubs}:${process.env.PATH}`,
    HOME: base,
    DUMP_DIR: dump,
    SLURM_JOB_ID: '4242',
    SLURM_JOB_NODELIST: 'node-[a-b]',
    SLURM_TMPDIR: path.join(base, 'scratch'),
  };
  return { plan, dump, env, values };
}

function runScript(file: string, env: NodeJS.ProcessEnv, cwd: string): { status: number | null; stderr: string; stdout: string } {
  const result = spawnSync('bash', [file], { env, cwd, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('SLURM scripts with hostile values', () => {
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'madengine-slurm-hostile-'));
    pwnAbs = path.join(root, 'PWNED_ABS');
    hostile = `$(touch PWNED_SUB) \`touch PWNED_TICK\` '"; touch PWNED_SEMI; echo " $(touch ${pwnAbs})`;
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('the array task passes every value verbatim to the node run and runs none of them', async () => {
    const { plan, dump, env, values } = await setup('array');
    const job = plan.jobs.find((j) => j.kind === 'array')!;
    const result = runScript(job.scriptPath, { ...env, SLURM_ARRAY_TASK_ID: '0' }, path.join(root, 'array'));
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(await pwned(root), []);
    const argv = nulList(await readFile(path.join(dump, 'node.0.argv'), 'utf8'));
    const model = plan.models[0]!;
    const nodeDir = path.join(model.resultsDir, 'node_0');
    assert.equal(argv[0], path.join(plan.jobDir, 'madengine.mjs'));
    assert.deepEqual(argv.slice(1, 3), ['run', '--manifest-file']);
    assert.equal(argv[3], model.manifestPath);
    assert.equal(argv[4], '--hub');
    assert.match(argv[5]!, /\/scratch\/madengine-hostile-run-4242-0$/);
    assert.deepEqual(argv.slice(6), ['--output', path.join(nodeDir, 'perf.csv'), '--timeout=60']);
    const nodeEnv = envOf(await readFile(path.join(dump, 'node.0.env'), 'utf8'));
    assert.equal(nodeEnv.HOSTILE, values.env);
    assert.equal(nodeEnv.VLLM_X, values.vllm);
    assert.equal(nodeEnv.NCCL_SOCKET_IFNAME, values.iface);
    assert.equal(nodeEnv.GLOO_SOCKET_IFNAME, values.iface);
    assert.equal(nodeEnv.DISTRIBUTED_BACKEND, values.backend);
    assert.equal(nodeEnv.PRIMUS_CLI_EXTRA, values.cliExtra);
    assert.equal(nodeEnv.MASTER_ADDR, 'node-a');
    assert.equal(nodeEnv.RANK, '0');
    assert.equal(nodeEnv.MAD_COLLECT_METRICS, 'true');
    assert.equal(nodeEnv.MAD_DEPLOYMENT_TYPE, 'slurm');
    assert.equal(nodeEnv.MAD_SLURM_JOB_ID, '4242');
    assert.equal(nodeEnv.MAD_MULTI_NODE_RUNNER, '');
    assert.deepEqual(nulList(await readFile(path.join(dump, 'module.argv'), 'utf8')), ['load', values.module]);
    assert.equal(await readFile(path.join(dump, 'node.0.hub'), 'utf8'), 'copied\n');
    assert.equal(await exists(path.join(dump, 'node.0.git')), false, '.git is not copied');
    assert.equal(await readFile(path.join(nodeDir, 'exit_code'), 'utf8'), '0\n');
    assert.equal(await exists(argv[5]!), false, 'the workspace is removed');
    assert.match(job.script, /^#SBATCH --nodelist=node-a,node-b$/m);
  });

  it('each rank of a multi-task job gets its rank, the first host and the runner, with the values verbatim', async () => {
    const { plan, dump, env, values } = await setup('multi');
    const job = plan.jobs.find((j) => j.kind === 'multi-task')!;
    const result = runScript(job.scriptPath, env, path.join(root, 'multi'));
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(await pwned(root), []);
    const srun = (await readdir(dump)).find((f) => f.startsWith('srun.'))!;
    const srunArgv = nulList(await readFile(path.join(dump, srun), 'utf8'));
    assert.equal(srunArgv[0], `--output=${job.rankOutput}`);
    assert.equal(srunArgv.at(-1), plan.files[0]!.path);
    for (const rank of ['0', '1']) {
      const rankEnv = envOf(await readFile(path.join(dump, `node.${rank}.env`), 'utf8'));
      assert.equal(rankEnv.HOSTILE, values.env);
      assert.equal(rankEnv.NODE_RANK, rank);
      assert.equal(rankEnv.WORLD_SIZE, '2');
      assert.equal(rankEnv.MAD_COLLECT_METRICS, rank === '0' ? 'true' : 'false');
      assert.equal(rankEnv.MAD_MULTI_NODE_RUNNER, `torchrun --nnodes=2 --nproc_per_node=1 --node_rank=${rank} --master_addr=node-a --master_port=29500`);
      assert.equal(rankEnv.TORCH_ELASTIC_RDZV_TIMEOUT, '3600');
    }
  });

  it('the slurm_multi wrapper runs the model script with its words verbatim', async () => {
    const { plan, dump, env } = await setup('self');
    const job = plan.jobs.find((j) => j.kind === 'slurm_multi')!;
    const result = runScript(job.scriptPath, env, path.join(root, 'self'));
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(await pwned(root), []);
    assert.deepEqual(nulList(await readFile(path.join(dump, 'multi.argv'), 'utf8')), ['--a', 'x $(touch PWNED_ARG)', 'b "c"', '`touch', 'PWNED_TICK`']);
    const wrapperEnv = envOf(await readFile(path.join(dump, 'multi.env'), 'utf8'));
    assert.equal(wrapperEnv.DOCKER_IMAGE_NAME, 'registry.example/img:1');
    assert.equal(wrapperEnv.MAD_LAUNCHER_TYPE, 'slurm_multi');
    assert.deepEqual(nulList(await readFile(path.join(dump, 'docker.argv'), 'utf8')), ['pull', 'registry.example/img:1', 'pull', 'registry.example/img:1']);
    const nodeDir = path.join(plan.models[2]!.resultsDir, 'node_0');
    assert.equal(await readFile(path.join(nodeDir, 'exit_code'), 'utf8'), '0\n');
    assert.equal(await exists(path.join(nodeDir, 'perf.csv')), true, "the script's perf.csv is taken");
  });

  it("the slurm_multi wrapper takes only the rows its run appended to the script directory's perf.csv", async () => {
    const { plan, env } = await setup('self-append');
    const scriptDir = path.join(plan.settings.sharedWorkspace!, 'scripts', 'multi');
    // Rows of another model and of an earlier run are already there; the script appends its own.
    await writeFile(path.join(scriptDir, 'perf.csv'), 'model,performance,metric,status\nother,1,x,SUCCESS\nstale,2,x,SUCCESS\n');
    await writeFile(path.join(scriptDir, 'run.slurm'), `#!/bin/bash\necho "self,3,x,SUCCESS" >> perf.csv\n`);
    const job = plan.jobs.find((j) => j.kind === 'slurm_multi')!;
    const result = runScript(job.scriptPath, env, path.join(root, 'self-append'));
    assert.equal(result.status, 0, result.stderr);
    const taken = await readFile(path.join(plan.models[2]!.resultsDir, 'node_0', 'perf.csv'), 'utf8');
    assert.equal(taken, 'model,performance,metric,status\nself,3,x,SUCCESS\n');
  });

  it('an env_vars name that the job script uses itself is refused, naming it', () => {
    assert.throws(
      () => planSlurmJobs(planInput([{ name: 'a', launch: { env: { HUB: '/elsewhere', NODE_MANIFEST: '/x.json' } } }])),
      /env_vars: HUB, NODE_MANIFEST are variables of the SLURM job script itself/,
    );
  });

  it('an #SBATCH setting with shell or sbatch syntax is rejected, naming its key', () => {
    for (const key of ['partition', 'account', 'qos', 'constraint', 'reservation', 'mem', 'mail_user', 'mail_type', 'nodelist', 'exclude', 'time']) {
      assert.throws(
        () => planSlurmJobs(planInput([{ name: 'a' }], { slurm: { [key]: hostile } })),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith(`slurm.${key}`),
        key,
      );
    }
  });
});
