/**
 * GPU and host detection in madengine's probe order (compat §3.2): NVIDIA through
 * nvidia-smi, AMD through amd-smi then rocm-smi, with rocminfo, hipconfig and KFD sysfs for
 * the details. A missing tool is normal (a CPU-only machine reports vendor NONE); a tool that
 * fails or hangs is noted and the next source is tried, so detection never throws.
 */
import { access, readFile as fsReadFile, readdir as fsReaddir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.ts';
import { runProcess } from '../exec/process.ts';
import {
  compareVersions,
  formatVersion,
  gfxTargetName,
  kfdUniqueIdHex,
  parseAmdSmiListCsv,
  parseAmdSmiListJson,
  parseAmdSmiStaticMarketName,
  parseHipconfigVersion,
  parseKfdProperties,
  parseNvccVersion,
  parseNvidiaSmiBanner,
  parseNvidiaSmiList,
  parseNvidiaSmiQuery,
  parseRocmSmiProductName,
  parseRocmSmiShowIdCsv,
  parseRocmSmiUniqueIds,
  parseRocminfo,
  parseRocmVersionFile,
} from './parsers.ts';
import type { KfdNode } from './parsers.ts';
import type { DetectDeps, HostOs, RuntimeVersion, SystemInfo, ToolResult, ToolRunner } from './types.ts';

export const KFD_NODES_DIR = '/sys/devices/virtual/kfd/kfd/topology/nodes';
/** amd-smi knows KFD node ids (and is preferred over rocm-smi) from this ROCm release on. */
export const AMD_SMI_MIN_ROCM: RuntimeVersion = { major: 6, minor: 4, patch: 1 };
const DEFAULT_TIMEOUT_MS = 60_000;

/** Real implementations; each tool call is bounded by `timeoutMs` and never rejects. */
export function defaultRunner(timeoutMs = DEFAULT_TIMEOUT_MS): ToolRunner {
  return async (cmd, args) => {
    try {
      const result = await runProcess(cmd, args, { timeoutMs });
      if (result.timedOut) return { code: null, stdout: result.stdout, stderr: `timed out after ${timeoutMs} ms` };
      return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    } catch (error) {
      return { code: null, stdout: '', stderr: errorMessage(error) };
    }
  };
}

const defaultExists = async (file: string): Promise<boolean> => {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
};

interface Probe {
  run: ToolRunner;
  readFile: (file: string) => Promise<string>;
  readdir: (dir: string) => Promise<string[]>;
  exists: (file: string) => Promise<boolean>;
  env: NodeJS.ProcessEnv;
  notes: string[];
}

/** Detect the GPUs and host facts madengine puts into its run context. */
export async function detectSystem(deps: DetectDeps = {}): Promise<SystemInfo> {
  const probe: Probe = {
    run: deps.run ?? defaultRunner(deps.timeoutMs),
    readFile: deps.readFile ?? ((file) => fsReadFile(file, 'utf8')),
    readdir: deps.readdir ?? ((dir) => fsReaddir(dir)),
    exists: deps.exists ?? defaultExists,
    env: deps.env ?? process.env,
    notes: [],
  };
  const info: SystemInfo = {
    gpuVendor: 'NONE',
    gpuCount: 0,
    gpuArchitecture: '',
    gpuProductName: '',
    runtimeVersion: '',
    renderDevices: [],
    hostOs: await detectHostOs(probe),
    notes: probe.notes,
  };
  const numa = await readText(probe, '/proc/sys/kernel/numa_balancing');
  if (numa !== undefined) info.numaBalancing = numa.trim();

  const nvidia = await detectNvidia(probe);
  if (nvidia) return { ...info, ...nvidia };
  const rocmPath = await resolveRocmPath(probe);
  const amd = await detectAmd(probe, rocmPath);
  if (amd) return { ...info, ...amd, rocmPath };
  probe.notes.push('No GPU detected: vendor NONE.');
  return info;
}

// ---------------------------------------------------------------- helpers

async function call(probe: Probe, cmd: string, args: string[]): Promise<ToolResult> {
  const shown = [cmd, ...args].join(' ');
  let result: ToolResult;
  try {
    result = await probe.run(cmd, args);
  } catch (error) {
    result = { code: null, stdout: '', stderr: errorMessage(error) };
  }
  if (result.code !== 0) {
    const why = result.code === null ? 'did not finish' : `exited with ${result.code}`;
    const detail = (result.stderr || result.stdout).trim().split('\n')[0] ?? '';
    probe.notes.push(`'${shown}' ${why}${detail ? `: ${detail}` : ''}`);
  }
  return result;
}

async function readText(probe: Probe, file: string): Promise<string | undefined> {
  try {
    return await probe.readFile(file);
  } catch {
    return undefined;
  }
}

const pathDirs = (env: NodeJS.ProcessEnv): string[] => (env.PATH ?? '').split(path.delimiter).filter(Boolean);

/** First existing `<dir>/<name>` among `preferred` dirs, then PATH. */
async function findTool(probe: Probe, name: string, preferred: string[]): Promise<string | undefined> {
  for (const dir of [...preferred, ...pathDirs(probe.env)]) {
    const candidate = path.join(dir, name);
    if (await probe.exists(candidate)) return candidate;
  }
  return undefined;
}

async function detectHostOs(probe: Probe): Promise<HostOs> {
  const managers: [string, HostOs][] = [
    ['apt', 'HOST_UBUNTU'],
    ['yum', 'HOST_CENTOS'],
    ['zypper', 'HOST_SLES'],
    ['tdnf', 'HOST_AZURE'],
  ];
  for (const [tool, os] of managers) {
    if (await findTool(probe, tool, [])) return os;
  }
  return 'unknown';
}

// ---------------------------------------------------------------- NVIDIA

type GpuFacts = Omit<SystemInfo, 'hostOs' | 'notes' | 'numaBalancing'>;

async function detectNvidia(probe: Probe): Promise<GpuFacts | undefined> {
  const smi = await findTool(probe, 'nvidia-smi', ['/usr/bin']);
  if (!smi) {
    probe.notes.push('nvidia-smi not found.');
    return undefined;
  }
  const banner = await call(probe, smi, []);
  if (banner.code !== 0) return undefined;

  const gpus = parseNvidiaSmiList((await call(probe, smi, ['-L'])).stdout);
  if (gpus.length === 0) {
    probe.notes.push('nvidia-smi works but lists no GPUs.');
    return undefined;
  }
  const first = gpus[0]!;
  const query = await call(probe, smi, ['--query-gpu=name', '--format=csv,noheader,nounits', '-i', '0']);
  const productName = parseNvidiaSmiQuery(query.stdout, ['name'])[0]?.name || first.name;

  const nvcc = await findTool(probe, 'nvcc', ['/usr/local/cuda/bin']);
  let cuda = nvcc ? parseNvccVersion((await call(probe, nvcc, ['--version'])).stdout) : undefined;
  if (!cuda) {
    cuda = parseNvidiaSmiBanner(banner.stdout).cudaVersion;
    if (cuda) probe.notes.push('CUDA version taken from the nvidia-smi banner (nvcc not available).');
    else probe.notes.push('CUDA version unknown: neither nvcc nor the nvidia-smi banner reported one.');
  }
  return {
    gpuVendor: 'NVIDIA',
    gpuCount: gpus.length,
    gpuArchitecture: first.name,
    gpuProductName: productName,
    runtimeVersion: cuda ?? '',
    renderDevices: [],
  };
}

// ---------------------------------------------------------------- AMD

/** Host ROCm root: MAD_ROCM_PATH, else the first candidate with ROCm tools, else ROCM_PATH, else /opt/rocm. */
export async function resolveRocmPath(probe: Pick<Probe, 'env' | 'exists' | 'readdir'>): Promise<string> {
  const { env } = probe;
  if (env.MAD_ROCM_PATH) return env.MAD_ROCM_PATH;
  if (env.MAD_AUTO_ROCM_PATH !== '0') {
    const versioned = await probe.readdir('/opt').then(
      (names) =>
        names
          .filter((name) => /^rocm-\d/.test(name))
          .sort(compareRocmDirs)
          .map((name) => `/opt/${name}`),
      () => [] as string[],
    );
    const candidates = [env.ROCM_PATH, env.ROCM_HOME, env.HIP_PATH, '/opt/rocm', ...versioned, '/usr/local/rocm'];
    for (const root of candidates) {
      if (!root) continue;
      for (const tool of ['bin/rocminfo', 'bin/amd-smi', 'bin/rocm-smi', '.info/version']) {
        if (await probe.exists(path.join(root, tool))) return root;
      }
    }
  }
  return env.ROCM_PATH || '/opt/rocm';
}

/** Newest /opt/rocm-X.Y.Z first. */
function compareRocmDirs(a: string, b: string): number {
  const va = parseRocmVersionFile(a.slice('rocm-'.length)) ?? { major: 0, minor: 0 };
  const vb = parseRocmVersionFile(b.slice('rocm-'.length)) ?? { major: 0, minor: 0 };
  return compareVersions(vb, va);
}

interface AmdTools {
  amdSmi?: string;
  rocmSmi?: string;
}

async function detectAmd(probe: Probe, rocm: string): Promise<GpuFacts | undefined> {
  const bin = path.join(rocm, 'bin');
  const tools: AmdTools = {};
  const amdSmi = await findTool(probe, 'amd-smi', [bin, '/usr/local/bin']);
  const rocmSmi = await findTool(probe, 'rocm-smi', [bin]);
  if (amdSmi && (await call(probe, amdSmi, ['list'])).code === 0) tools.amdSmi = amdSmi;
  if (rocmSmi && (tools.amdSmi || (await call(probe, rocmSmi, ['--showid'])).code === 0)) tools.rocmSmi = rocmSmi;
  if (!tools.amdSmi && !tools.rocmSmi) {
    probe.notes.push(amdSmi || rocmSmi ? 'AMD tools are installed but report no working GPU.' : `amd-smi/rocm-smi not found (ROCm path ${rocm}).`);
    return undefined;
  }

  const version = await detectRocmVersion(probe, rocm);
  // madengine prefers amd-smi from ROCm 6.4.1 on, and when the version is unknown.
  const preferAmdSmi = !version || compareVersions(version, AMD_SMI_MIN_ROCM) >= 0;
  const count = await countAmdGpus(probe, tools, preferAmdSmi);
  if (count === 0) {
    probe.notes.push('AMD tools report 0 GPUs.');
    return undefined;
  }
  const kfd = await readKfdNodes(probe);
  const rocminfoPath = await findTool(probe, 'rocminfo', [bin]);
  const rocminfo = rocminfoPath ? parseRocminfo((await call(probe, rocminfoPath, [])).stdout) : undefined;

  let arch = rocminfo?.firstGfx ?? '';
  if (!arch) {
    arch = gfxTargetName(kfd?.find((node) => node.isGpu)?.gfxTargetVersion ?? 0) ?? '';
    if (arch) probe.notes.push('GPU architecture taken from KFD gfx_target_version (rocminfo unavailable).');
    else probe.notes.push('GPU architecture unknown: rocminfo and KFD topology gave none.');
  }
  return {
    gpuVendor: 'AMD',
    gpuCount: count,
    gpuArchitecture: arch,
    gpuProductName: await amdProductName(probe, tools, preferAmdSmi, rocminfo?.gpuAgents[0]?.marketingName),
    runtimeVersion: version ? formatVersion(version) : '',
    renderDevices: await amdRenderDevices(probe, tools, preferAmdSmi, kfd, count),
  };
}

/** ROCm version: `{rocm}/.info/version` (exact), else hipconfig (major.minor), else rocminfo. */
async function detectRocmVersion(probe: Probe, rocm: string): Promise<RuntimeVersion | undefined> {
  const file = await readText(probe, path.join(rocm, '.info', 'version'));
  const fromFile = file === undefined ? undefined : parseRocmVersionFile(file);
  if (fromFile) return fromFile;
  const hipconfig = await findTool(probe, 'hipconfig', [path.join(rocm, 'bin')]);
  const fromHip = hipconfig ? parseHipconfigVersion((await call(probe, hipconfig, ['--version'])).stdout) : undefined;
  if (fromHip) return fromHip;
  const rocminfo = await findTool(probe, 'rocminfo', [path.join(rocm, 'bin')]);
  const fromInfo = rocminfo ? parseRocminfo((await call(probe, rocminfo, [])).stdout).rocmVersion : undefined;
  if (fromInfo) return parseRocmVersionFile(fromInfo);
  probe.notes.push('ROCm version unknown (no .info/version, hipconfig or rocminfo version).');
  return undefined;
}

async function countAmdGpus(probe: Probe, tools: AmdTools, preferAmdSmi: boolean): Promise<number> {
  const viaAmdSmi = async (): Promise<number | undefined> => {
    if (!tools.amdSmi) return undefined;
    const result = await call(probe, tools.amdSmi, ['list', '--csv']);
    return result.code === 0 ? parseAmdSmiListCsv(result.stdout).length : undefined;
  };
  const viaRocmSmi = async (): Promise<number | undefined> => {
    if (!tools.rocmSmi) return undefined;
    const result = await call(probe, tools.rocmSmi, ['--showid', '--csv']);
    return result.code === 0 ? parseRocmSmiShowIdCsv(result.stdout).length : undefined;
  };
  const [first, second] = preferAmdSmi ? [viaAmdSmi, viaRocmSmi] : [viaRocmSmi, viaAmdSmi];
  return (await first()) ?? (await second()) ?? 0;
}

async function amdProductName(probe: Probe, tools: AmdTools, preferAmdSmi: boolean, rocminfoName: string | undefined): Promise<string> {
  const viaAmdSmi = async (): Promise<string | undefined> =>
    tools.amdSmi ? parseAmdSmiStaticMarketName((await call(probe, tools.amdSmi, ['static', '-g', '0'])).stdout) : undefined;
  const viaRocmSmi = async (): Promise<string | undefined> =>
    tools.rocmSmi ? parseRocmSmiProductName((await call(probe, tools.rocmSmi, ['--showproductname'])).stdout) : undefined;
  const [first, second] = preferAmdSmi ? [viaAmdSmi, viaRocmSmi] : [viaRocmSmi, viaAmdSmi];
  const name = (await first()) ?? (await second()) ?? rocminfoName;
  if (!name) probe.notes.push('GPU product name unknown.');
  return name ?? '';
}

interface KfdEntry extends KfdNode {
  nodeId: number;
}

/** GPU nodes of the KFD topology (render minor > 0), by node id; undefined if unreadable. */
async function readKfdNodes(probe: Probe): Promise<KfdEntry[] | undefined> {
  let names: string[];
  try {
    names = await probe.readdir(KFD_NODES_DIR);
  } catch (error) {
    probe.notes.push(`KFD topology not readable (${errorMessage(error)}).`);
    return undefined;
  }
  const nodes: KfdEntry[] = [];
  for (const name of names.filter((entry) => /^\d+$/.test(entry)).sort((a, b) => Number(a) - Number(b))) {
    const text = await readText(probe, path.join(KFD_NODES_DIR, name, 'properties'));
    if (text === undefined) continue;
    const node = parseKfdProperties(text);
    if (node.drmRenderMinor > 0) nodes.push({ ...node, nodeId: Number(name) });
  }
  return nodes;
}

/**
 * Render minor per GPU index. ROCm >= 6.4.1: amd-smi's `node_id` links each GPU to its KFD
 * node (or amd-smi's own `render` when KFD is unreadable). Older ROCm: rocm-smi's unique ids
 * are matched to KFD `unique_id`s. Failing both, KFD node order is used, with a note.
 */
async function amdRenderDevices(probe: Probe, tools: AmdTools, preferAmdSmi: boolean, kfd: KfdEntry[] | undefined, count: number): Promise<number[]> {
  const byNode = new Map((kfd ?? []).map((node) => [node.nodeId, node.drmRenderMinor]));
  if (preferAmdSmi && tools.amdSmi) {
    const result = await call(probe, tools.amdSmi, ['list', '-e', '--json']);
    const gpus = result.code === 0 ? parseAmdSmiListJson(result.stdout) : [];
    if (gpus.length > 0) {
      const minors = gpus.map((gpu) => (kfd ? byNode.get(gpu.nodeId ?? -1) : undefined) ?? gpu.renderMinor);
      if (minors.every((minor): minor is number => minor !== undefined)) return minors;
      probe.notes.push('amd-smi GPUs could not all be matched to KFD render nodes.');
    }
  }
  if (!preferAmdSmi && tools.rocmSmi && kfd) {
    const ids = parseRocmSmiUniqueIds((await call(probe, tools.rocmSmi, ['--showuniqueid'])).stdout);
    const byUniqueId = new Map(kfd.filter((node) => node.uniqueId).map((node) => [kfdUniqueIdHex(node.uniqueId!), node.drmRenderMinor]));
    const minors = [...ids.entries()].sort(([a], [b]) => a - b).map(([, id]) => byUniqueId.get(id));
    if (minors.length > 0 && minors.every((minor): minor is number => minor !== undefined)) return minors;
    probe.notes.push('rocm-smi unique ids could not all be matched to KFD nodes.');
  }
  if (kfd && kfd.length > 0) {
    probe.notes.push('Render devices in KFD node order (GPU index mapping unavailable).');
    return kfd.slice(0, count).map((node) => node.drmRenderMinor);
  }
  probe.notes.push('Render devices unknown: no KFD topology and no amd-smi render info.');
  return [];
}
