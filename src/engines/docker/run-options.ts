/**
 * A model's `additional_docker_run_options` (madengine appends the string to `docker run`). The
 * Engine API takes structured options, so the common flags are translated; anything else is a
 * clear error rather than a silently ignored option.
 */
import type Docker from 'dockerode';
import { ConfigError } from '../../core/errors.ts';

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

function parseSize(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)([bkmgt]?)b?$/i.exec(value.trim());
  if (!match) throw new ConfigError(`${flag} ${value}: expected a size such as 16g or 512m`);
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
}

/** Shell-like word splitting with single/double quotes (no expansion). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  let inWord = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new ConfigError(`unterminated ${quote} quote in additional_docker_run_options: ${text}`);
  if (inWord) words.push(current);
  return words;
}

const FLAGS_WITH_VALUE = new Set([
  '--shm-size',
  '--ulimit',
  '-e',
  '--env',
  '-v',
  '--volume',
  '--device',
  '--cap-add',
  '--cap-drop',
  '--security-opt',
  '--ipc',
  '--network',
  '--net',
  '-u',
  '--user',
  '--group-add',
  '-m',
  '--memory',
  '--cpus',
  '--pids-limit',
]);
const SUPPORTED = [...FLAGS_WITH_VALUE, '--privileged'].sort().join(', ');

/** Apply `options` to a container create request (mutates it). */
export function applyDockerRunOptions(options: string, create: Docker.ContainerCreateOptions, modelName: string): void {
  const host = (create.HostConfig ??= {});
  const words = splitWords(options);
  for (let i = 0; i < words.length; i++) {
    let flag = words[i]!;
    let value: string | undefined;
    if (flag.startsWith('--') && flag.includes('=')) [flag, value] = [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)];
    if (FLAGS_WITH_VALUE.has(flag) && value === undefined) {
      value = words[++i];
      if (value === undefined) throw new ConfigError(`model ${modelName}: additional_docker_run_options: ${flag} needs a value`);
    }
    const v = value ?? '';
    switch (flag) {
      case '--shm-size':
        host.ShmSize = parseSize(v, flag);
        break;
      case '-m':
      case '--memory':
        host.Memory = parseSize(v, flag);
        break;
      case '--cpus':
        host.NanoCpus = Math.round(Number(v) * 1e9);
        break;
      case '--pids-limit':
        host.PidsLimit = Number(v);
        break;
      case '--ulimit': {
        const match = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(v);
        if (!match) throw new ConfigError(`model ${modelName}: --ulimit ${v}: expected name=soft[:hard]`);
        (host.Ulimits ??= []).push({ Name: match[1]!, Soft: Number(match[2]), Hard: Number(match[3] ?? match[2]) });
        break;
      }
      case '-e':
      case '--env':
        (create.Env ??= []).push(v);
        break;
      case '-v':
      case '--volume':
        (host.Binds ??= []).push(v);
        break;
      case '--device': {
        const [onHost, inContainer, permissions] = v.split(':');
        (host.Devices ??= []).push({ PathOnHost: onHost!, PathInContainer: inContainer || onHost!, CgroupPermissions: permissions || 'rwm' });
        break;
      }
      case '--cap-add':
        (host.CapAdd ??= []).push(v);
        break;
      case '--cap-drop':
        (host.CapDrop ??= []).push(v);
        break;
      case '--security-opt':
        (host.SecurityOpt ??= []).push(v);
        break;
      case '--ipc':
        host.IpcMode = v;
        break;
      case '--network':
      case '--net':
        host.NetworkMode = v;
        break;
      case '-u':
      case '--user':
        create.User = v;
        break;
      case '--group-add':
        (host.GroupAdd ??= []).push(v);
        break;
      case '--privileged':
        host.Privileged = true;
        break;
      default:
        throw new ConfigError(
          `model ${modelName}: additional_docker_run_options: '${flag}' is not supported by the Engine API runner (supported: ${SUPPORTED})`,
        );
    }
  }
}
