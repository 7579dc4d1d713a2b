import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../../src/core/errors.ts';
import { checkSbatchValue, formatSlurmTime, slurmSettings, slurmTimeSeconds } from '../../../../src/core/deploy/slurm/settings.ts';

describe('slurmSettings (compat §4.1 keys)', () => {
  it('defaults to the cluster: no partition, no --time, not exclusive, node from PATH, one task per node', () => {
    const settings = slurmSettings(undefined);
    assert.deepEqual(settings, { exclusive: false, modules: [], node: 'node', ntasksPerNode: 1 });
  });

  it('keeps every honoured key', () => {
    const settings = slurmSettings({
      partition: 'gpu',
      nodes: 2,
      gpus_per_node: 8,
      time: '24:00:00',
      exclusive: true,
      nodelist: 'a,b',
      exclude: 'c',
      constraint: 'mi300x',
      qos: 'normal',
      account: 'proj',
      reservation: 'bench',
      mem: '64G',
      mail_user: 'me@example.com',
      mail_type: 'END,FAIL',
      modules: ['rocm/6.2'],
      network_interface: 'ib0',
      shared_workspace: '/nfs/hub',
      output_dir: 'out',
      results_dir: '/nfs/results',
      max_parallel: 4,
      node: '/opt/node/bin/node',
      ntasks_per_node: 2,
    });
    assert.equal(settings.partition, 'gpu');
    assert.equal(settings.gpusPerNode, 8);
    assert.equal(settings.time, '24:00:00');
    assert.equal(settings.mailType, 'END,FAIL');
    assert.equal(settings.maxParallel, 4);
    assert.equal(settings.node, '/opt/node/bin/node');
    assert.equal(settings.ntasksPerNode, 2);
    assert.equal(settings.exclusive, true);
  });

  it('reads a GPU count under any alias; -1 stays -1 (no GPU request)', () => {
    assert.equal(slurmSettings({ gpu_count: 4 }).gpusPerNode, 4);
    assert.equal(slurmSettings({ gpus_per_node: -1 }).gpusPerNode, -1);
  });

  it('accepts every SLURM time form and turns time_limit seconds into D-HH:MM:SS', () => {
    for (const [text, seconds] of [
      ['30', 1800],
      ['30:15', 1815],
      ['2:00:00', 7200],
      ['1-12', 129_600],
      ['1-12:30', 131_400],
      ['1-00:00:10', 86_410],
      ['UNLIMITED', Infinity],
      ['infinite', Infinity],
    ] as const) {
      assert.equal(slurmTimeSeconds(text), seconds, text);
      assert.equal(slurmSettings({ time: text }).time, text);
    }
    assert.equal(slurmSettings({ time_limit: 3600 }).time, '0-01:00:00');
    assert.equal(formatSlurmTime(90_061), '1-01:01:01');
    assert.equal(slurmSettings({ time: '1:00:00', time_limit: 3600 }).time, '1:00:00');
  });

  it('a malformed time names slurm.time and the valid forms', () => {
    for (const time of ['1h', '24:00:00:00', '', '-5', '0', '1-2-3']) {
      assert.throws(
        () => slurmSettings({ time }),
        (error: unknown) => error instanceof ConfigError && error.message.includes('slurm.time') && error.message.includes('D-H:M:S'),
        time,
      );
    }
    assert.throws(
      () => slurmSettings({ time: '10', time_limit: 60 }, 'deployment_config.slurm'),
      /deployment_config\.slurm\.time "10" and deployment_config\.slurm\.time_limit 60 disagree/,
    );
  });

  it('an #SBATCH value with whitespace, quotes, backslash, # or control characters is an error naming the key', () => {
    for (const key of ['partition', 'account', 'qos', 'constraint', 'reservation', 'mem', 'mail_user', 'mail_type', 'nodelist', 'exclude'] as const) {
      for (const bad of ['a b', "a'b", 'a"b', 'a\\b', 'a#b', 'a\nb', 'a\tb', '$(touch /tmp/pwned) x']) {
        assert.throws(
          () => slurmSettings({ [key]: bad }),
          (error: unknown) => error instanceof ConfigError && error.message.startsWith(`slurm.${key}: got`),
          `${key} ${JSON.stringify(bad)}`,
        );
      }
    }
    assert.equal(checkSbatchValue(8, 'x'), '8');
    assert.equal(slurmSettings({ nodelist: 'vm1,vm2' }).nodelist, 'vm1,vm2');
  });

  it('counts must be whole numbers >= 1', () => {
    assert.throws(() => slurmSettings({ max_parallel: 0 }), /slurm\.max_parallel: got 0, expected a whole number >= 1/);
    assert.throws(() => slurmSettings({ ntasks_per_node: 1.5 }), /slurm\.ntasks_per_node/);
    assert.throws(() => slurmSettings({ nodes: 0 }), /slurm\.nodes/);
  });
});
