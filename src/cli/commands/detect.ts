import type { Command } from 'commander';
import { detectSystem } from '../../core/gpu/detect.ts';
import { madEnvFromSystem } from '../../core/gpu/env.ts';
import { formatTable } from '../table.ts';

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('Show what GPU/system detection finds on this machine (what `run` passes to models as MAD_* variables)')
    .option('--json', 'print the detection result as JSON')
    .action(async (options: { json?: boolean }) => {
      const system = await detectSystem();
      if (options.json) {
        process.stdout.write(JSON.stringify({ ...system, env: madEnvFromSystem(system) }, null, 2) + '\n');
        return;
      }
      const rows: string[][] = [
        ['GPU vendor', system.gpuVendor],
        ['GPU count', String(system.gpuCount)],
        ['GPU architecture', system.gpuArchitecture || '-'],
        ['GPU product', system.gpuProductName || '-'],
        [system.gpuVendor === 'NVIDIA' ? 'CUDA version' : 'ROCm version', system.runtimeVersion || '-'],
        ['render devices', system.renderDevices.length ? system.renderDevices.map((minor) => `renderD${minor}`).join(', ') : '-'],
        ['ROCm path', system.rocmPath ?? '-'],
        ['host OS', system.hostOs],
      ];
      process.stdout.write(formatTable(['FACT', 'VALUE'], rows));
      if (system.notes.length) process.stdout.write(`\nnotes:\n${system.notes.map((note) => `  - ${note}`).join('\n')}\n`);
    });
}
