/**
 * Pure parsers for the output of GPU tools (nvidia-smi, nvcc, rocminfo, amd-smi, rocm-smi,
 * hipconfig) and of KFD sysfs files. Each one tolerates the differences seen across tool
 * versions: warnings printed before the data, extra columns, CRLF line ends, padding.
 * They never throw on odd input; they return what they could recognise (empty/undefined
 * otherwise) and the caller decides what is missing.
 */
import type { RuntimeVersion } from './types.ts';

const lines = (text: string): string[] => text.split(/\r?\n/);

// ---------------------------------------------------------------- NVIDIA

export interface NvidiaGpu {
  index: number;
  /** Product name as nvidia-smi prints it, e.g. "NVIDIA H100 80GB HBM3". */
  name: string;
  uuid?: string;
}

/** `nvidia-smi -L`: one `GPU <i>: <name> (UUID: GPU-...)` line per GPU; MIG child lines are not GPUs. */
export function parseNvidiaSmiList(text: string): NvidiaGpu[] {
  const gpus: NvidiaGpu[] = [];
  for (const line of lines(text)) {
    const match = /^GPU (\d+): (.*?)\s*(?:\(UUID: ([^)]*)\))?\s*$/.exec(line);
    if (!match) continue;
    const gpu: NvidiaGpu = { index: Number(match[1]), name: match[2]!.trim() };
    if (match[3]) gpu.uuid = match[3].trim();
    gpus.push(gpu);
  }
  return gpus;
}

/**
 * `nvidia-smi --query-gpu=<fields> --format=csv,noheader[,nounits]`: one row per GPU, values
 * separated by ", ". Rows with a different number of values (error text) are skipped.
 */
export function parseNvidiaSmiQuery(text: string, fields: readonly string[]): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const line of lines(text)) {
    if (!line.trim()) continue;
    const values = line.split(',').map((value) => value.trim());
    if (values.length !== fields.length) continue;
    rows.push(Object.fromEntries(fields.map((field, i) => [field, values[i]!])));
  }
  return rows;
}

/** The `nvidia-smi` banner (or `nvidia-smi -q`): driver and highest supported CUDA version. */
export function parseNvidiaSmiBanner(text: string): { driverVersion?: string; cudaVersion?: string } {
  const result: { driverVersion?: string; cudaVersion?: string } = {};
  const driver = /Driver Version\s*:?\s*([\d.]+)/.exec(text);
  const cuda = /CUDA Version\s*:?\s*(\d+\.\d+)/.exec(text);
  if (driver) result.driverVersion = driver[1]!;
  if (cuda) result.cudaVersion = cuda[1]!;
  return result;
}

/** `nvcc --version`: "Cuda compilation tools, release 12.4, V12.4.131" -> "12.4". */
export function parseNvccVersion(text: string): string | undefined {
  return /release (\d+\.\d+)/.exec(text)?.[1];
}

// ---------------------------------------------------------------- rocminfo

export interface RocmAgent {
  name: string;
  marketingName: string;
  vendorName: string;
  deviceType: string;
  /** KFD node id ("Node:" line). */
  node?: number;
  uuid?: string;
}

export interface RocminfoResult {
  agents: RocmAgent[];
  gpuAgents: RocmAgent[];
  /** madengine's `rocminfo | grep -o -m 1 'gfx.*'`: first gfx name, padding trimmed. */
  firstGfx?: string;
  /** Only some rocminfo builds print a ROCm version line. */
  rocmVersion?: string;
}

/** `rocminfo`: agents are blocks opened by `Agent <n>` between `*******` rulers; keys are `  Key:   value`. */
export function parseRocminfo(text: string): RocminfoResult {
  const agents: RocmAgent[] = [];
  let current: RocmAgent | undefined;
  let firstGfx: string | undefined;
  let rocmVersion: string | undefined;
  for (const line of lines(text)) {
    if (firstGfx === undefined) {
      const gfx = /gfx.*/.exec(line);
      if (gfx) firstGfx = gfx[0].trim();
    }
    const version = /ROCm Version:\s*(\d+\.\d+(?:\.\d+)?)/i.exec(line);
    if (version && rocmVersion === undefined) rocmVersion = version[1]!;
    if (/^Agent \d+\s*$/.test(line.trim()) && !line.startsWith(' ')) {
      current = { name: '', marketingName: '', vendorName: '', deviceType: '' };
      agents.push(current);
      continue;
    }
    // Agent-level keys are indented by exactly two spaces; deeper ones belong to pools/ISAs.
    const field = /^ {2}([A-Za-z][A-Za-z .]*?):\s*(.*?)\s*$/.exec(line);
    if (!current || !field) continue;
    const [, key, value] = field as unknown as [string, string, string];
    if (key === 'Name' && !current.name) current.name = value;
    else if (key === 'Marketing Name') current.marketingName = value;
    else if (key === 'Vendor Name') current.vendorName = value;
    else if (key === 'Device Type') current.deviceType = value;
    else if (key === 'Uuid' && value) current.uuid = value;
    else if (key === 'Node' && /^\d+$/.test(value)) current.node = Number(value);
  }
  const result: RocminfoResult = { agents, gpuAgents: agents.filter((agent) => agent.deviceType === 'GPU') };
  if (firstGfx !== undefined) result.firstGfx = firstGfx;
  if (rocmVersion !== undefined) result.rocmVersion = rocmVersion;
  return result;
}

// ---------------------------------------------------------------- amd-smi

export interface AmdSmiGpu {
  gpu: number;
  bdf?: string;
  uuid?: string;
  kfdId?: string;
  /** KFD topology node id; the link between amd-smi's GPU index and /sys render minors. */
  nodeId?: number;
  partitionId?: number;
  /** Render minor from `render: "renderD128"` (amd-smi list -e). */
  renderMinor?: number;
  hipId?: number;
}

const intOrUndefined = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
};

const renderMinor = (value: unknown): number | undefined => {
  const match = typeof value === 'string' ? /renderD(\d+)/.exec(value) : null;
  return match ? Number(match[1]) : intOrUndefined(value);
};

function amdSmiGpu(record: Record<string, unknown>): AmdSmiGpu | undefined {
  const gpu = intOrUndefined(record.gpu);
  if (gpu === undefined) return undefined;
  const entry: AmdSmiGpu = { gpu };
  const bdf = record.bdf ?? record.gpu_bdf;
  const uuid = record.uuid ?? record.gpu_uuid;
  if (typeof bdf === 'string') entry.bdf = bdf;
  if (typeof uuid === 'string') entry.uuid = uuid;
  if (record.kfd_id !== undefined && record.kfd_id !== 'N/A') entry.kfdId = String(record.kfd_id);
  const nodeId = intOrUndefined(record.node_id);
  const partitionId = intOrUndefined(record.partition_id);
  const render = renderMinor(record.render);
  const hipId = intOrUndefined(record.hip_id);
  if (nodeId !== undefined) entry.nodeId = nodeId;
  if (partitionId !== undefined) entry.partitionId = partitionId;
  if (render !== undefined) entry.renderMinor = render;
  if (hipId !== undefined) entry.hipId = hipId;
  return entry;
}

/**
 * The tool CSVs (amd-smi, rocm-smi): the header is the first line whose first column is `firstColumn`
 * (warnings may come before it); every later line is a row of comma-separated values.
 */
function toolCsv(text: string, firstColumn: string): { header: string[]; rows: string[][] } {
  const all = lines(text);
  const headerAt = all.findIndex((line) => line.trim().startsWith(`${firstColumn},`));
  if (headerAt < 0) return { header: [], rows: [] };
  return { header: all[headerAt]!.trim().split(','), rows: all.slice(headerAt + 1).map((line) => line.trim().split(',')) };
}

/** `amd-smi list --csv`: header `gpu,gpu_bdf,gpu_uuid[,kfd_id,node_id,partition_id]...`, one row per GPU. */
export function parseAmdSmiListCsv(text: string): AmdSmiGpu[] {
  const { header, rows } = toolCsv(text, 'gpu');
  const gpus: AmdSmiGpu[] = [];
  for (const values of rows) {
    if (!/^\d+$/.test(values[0] ?? '')) continue;
    const entry = amdSmiGpu(Object.fromEntries(header.map((key, i) => [key, values[i] ?? ''])));
    if (entry) gpus.push(entry);
  }
  return gpus;
}

/**
 * `amd-smi list [-e] --json`: a JSON array of GPU objects. Some versions print warnings
 * first, so parsing starts at the first line that opens an array or object.
 */
export function parseAmdSmiListJson(text: string): AmdSmiGpu[] {
  const all = lines(text);
  const start = all.findIndex((line) => /^\s*[[{]/.test(line));
  if (start < 0) return [];
  let data: unknown;
  try {
    data = JSON.parse(all.slice(start).join('\n'));
  } catch {
    return [];
  }
  const records = Array.isArray(data) ? data : [data];
  return records
    .filter((record): record is Record<string, unknown> => typeof record === 'object' && record !== null)
    .map(amdSmiGpu)
    .filter((entry): entry is AmdSmiGpu => entry !== undefined)
    .sort((a, b) => a.gpu - b.gpu);
}

/** `amd-smi static [-g 0]`: the first `MARKET_NAME:` value (GPU 0's when several GPUs are printed). */
export function parseAmdSmiStaticMarketName(text: string): string | undefined {
  for (const line of lines(text)) {
    const match = /^\s*MARKET_NAME:\s*(.*?)\s*$/.exec(line);
    if (match && match[1] && match[1] !== 'N/A') return match[1];
  }
  return undefined;
}

// ---------------------------------------------------------------- rocm-smi

export interface RocmSmiIdRow {
  /** DRM card index from the `device` column ("card0" -> 0). */
  card: number;
  values: Record<string, string>;
}

/** `rocm-smi --showid --csv`: header `device,Device Name,Device ID,...`, rows `card<N>,...`. */
export function parseRocmSmiShowIdCsv(text: string): RocmSmiIdRow[] {
  const table = toolCsv(text, 'device');
  const rows: RocmSmiIdRow[] = [];
  for (const values of table.rows) {
    const card = /^card(\d+)$/.exec(values[0] ?? '');
    if (!card) continue;
    rows.push({ card: Number(card[1]), values: Object.fromEntries(table.header.slice(1).map((key, i) => [key, values[i + 1] ?? ''])) });
  }
  return rows;
}

/** Lines `GPU[<n>]\t\t: <Key>: <value>` of the human-readable rocm-smi log. */
function rocmSmiLogValues(text: string, key: RegExp): Map<number, string> {
  const values = new Map<number, string>();
  for (const line of lines(text)) {
    const match = /^GPU\[(\d+)\]\s*:\s*([^:]+?):\s*(.*?)\s*$/.exec(line);
    if (!match || !key.test(match[2]!)) continue;
    const gpu = Number(match[1]);
    if (!values.has(gpu)) values.set(gpu, match[3]!);
  }
  return values;
}

/**
 * `rocm-smi --showproductname`: the `Card Series` (older: `Card series`) of a GPU, e.g.
 * "AMD Instinct MI210" or "Aldebaran/MI200 [Instinct MI250X/MI250]".
 */
export function parseRocmSmiProductName(text: string, gpu = 0): string | undefined {
  const value = rocmSmiLogValues(text, /^Card series$/i).get(gpu);
  return value && value !== 'N/A' ? value : undefined;
}

/**
 * `rocm-smi --showuniqueid`: unique id per GPU index, normalised to lower-case hex without
 * "0x" (newer versions print "0x...", older ones bare hex). "N/A" ids are left out.
 */
export function parseRocmSmiUniqueIds(text: string): Map<number, string> {
  const ids = new Map<number, string>();
  for (const [gpu, value] of rocmSmiLogValues(text, /^Unique ID$/i)) {
    const hex = /^(?:0x)?([0-9a-f]+)$/i.exec(value);
    if (hex) ids.set(gpu, normaliseHex(hex[1]!));
  }
  return ids;
}

const normaliseHex = (hex: string): string => BigInt(`0x${hex}`).toString(16);

// ---------------------------------------------------------------- ROCm version

function parseVersionPrefix(text: string): { major: number; minor: number; patch?: number } | undefined {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!match) return undefined;
  const version: { major: number; minor: number; patch?: number } = { major: Number(match[1]), minor: Number(match[2]) };
  if (match[3] !== undefined) version.patch = Number(match[3]);
  return version;
}

/** `{rocm}/.info/version`: "6.4.1-120" -> 6.4.1 (the build number after "-" is dropped). */
export function parseRocmVersionFile(text: string): RuntimeVersion | undefined {
  return parseVersionPrefix(text.split('-')[0] ?? '');
}

/**
 * `hipconfig --version`: the HIP version, e.g. "6.0.32830-d62f6a171". Its major.minor match
 * ROCm's, but the third field is a build number, not ROCm's patch level, so it is dropped.
 */
export function parseHipconfigVersion(text: string): RuntimeVersion | undefined {
  const version = parseVersionPrefix(text.split('-')[0] ?? '');
  if (!version) return undefined;
  return { major: version.major, minor: version.minor };
}

export function formatVersion(version: RuntimeVersion): string {
  return version.patch === undefined ? `${version.major}.${version.minor}` : `${version.major}.${version.minor}.${version.patch}`;
}

/** Compare versions; an unknown patch compares as 0. */
export function compareVersions(a: RuntimeVersion, b: RuntimeVersion): number {
  return a.major - b.major || a.minor - b.minor || (a.patch ?? 0) - (b.patch ?? 0);
}

// ---------------------------------------------------------------- KFD topology

export interface KfdNode {
  /** Raw `key value` pairs, values kept as strings (unique_id does not fit a double). */
  properties: Record<string, string>;
  /** 0 for CPU nodes. */
  drmRenderMinor: number;
  /** Decimal unique_id, when the node has one. */
  uniqueId?: string;
  gfxTargetVersion: number;
  isGpu: boolean;
}

/** `/sys/devices/virtual/kfd/kfd/topology/nodes/<n>/properties`: one `key value` per line. */
export function parseKfdProperties(text: string): KfdNode {
  const properties: Record<string, string> = {};
  for (const line of lines(text)) {
    const match = /^(\w+)\s+(\S+)\s*$/.exec(line);
    if (match) properties[match[1]!] = match[2]!;
  }
  const number = (key: string): number => (/^\d+$/.test(properties[key] ?? '') ? Number(properties[key]) : 0);
  const node: KfdNode = {
    properties,
    drmRenderMinor: number('drm_render_minor'),
    gfxTargetVersion: number('gfx_target_version'),
    isGpu: number('simd_count') > 0 || number('gfx_target_version') > 0,
  };
  if (/^\d+$/.test(properties.unique_id ?? '') && properties.unique_id !== '0') node.uniqueId = properties.unique_id!;
  return node;
}

/** KFD unique_id (decimal) in the same hex form as parseRocmSmiUniqueIds. */
export function kfdUniqueIdHex(decimal: string): string {
  return BigInt(decimal).toString(16);
}

/** KFD gfx_target_version (MMmmss, decimal) -> LLVM target name: 90402 -> gfx942, 90010 -> gfx90a, 110000 -> gfx1100. */
export function gfxTargetName(version: number): string | undefined {
  if (!Number.isInteger(version) || version <= 0) return undefined;
  const major = Math.floor(version / 10000);
  const minor = Math.floor(version / 100) % 100;
  const stepping = version % 100;
  return `gfx${major}${minor}${stepping.toString(16)}`;
}
