/**
 * Whether a bigger value of a metric is better, from its name, after the families of madengine's
 * multi-node aggregation (compat §4.0): throughput-like names are summed there (higher is better),
 * latency/time-like and memory-like names are averaged or maxed (lower is better).
 *
 * Rules, in order (names lowercased, split into words at anything not a letter or digit and at camelCase humps):
 * 1. an override for the exact metric name;
 * 2. higher: a rate over time (a time unit after "per" or after the last "/": samples_per_second,
 *    tokens/sec, GB/s, it/s), a compact rate word (qps, tps, fps, gbps, iops, ...), or a name containing
 *    throughput, bandwidth, accuracy, precision, recall or the word f1;
 * 3. lower: a name containing latency, duration, millisecond, second, time, memory, bytes, response_time,
 *    ttft, tpot, e2el or loss, or a word that is a time or size unit (ms, s, sec, us, ns, minutes, hours,
 *    itl, gb, mb, kb, gib, mib, kib, ram, vram, mem, elapsed; not "min", which is mostly a minimum);
 * 4. higher for everything else (samples, tokens, images, requests, ops, tflops, unknown names).
 */
import { ConfigError } from '../errors.ts';
import type { Direction } from './types.ts';

const TIME_UNITS = new Set([
  's',
  'sec',
  'secs',
  'second',
  'seconds',
  'ms',
  'msec',
  'millisecond',
  'milliseconds',
  'us',
  'usec',
  'microsecond',
  'microseconds',
  'ns',
  'min',
  'mins',
  'minute',
  'minutes',
  'h',
  'hr',
  'hour',
  'hours',
]);
const RATE_WORDS = new Set(['qps', 'tps', 'fps', 'rps', 'sps', 'bps', 'kbps', 'mbps', 'gbps', 'tbps', 'iops', 'persec']);
const HIGHER_SUBSTRINGS = ['throughput', 'bandwidth', 'accuracy', 'precision', 'recall'];
const HIGHER_WORDS = new Set(['f1']);
const LOWER_SUBSTRINGS = ['latency', 'duration', 'millisecond', 'second', 'time', 'memory', 'bytes', 'ttft', 'tpot', 'e2el', 'loss'];
/** Time units as words of their own, without min/h ("min_tokens" is a minimum, not minutes). */
const LOWER_WORDS = new Set([
  ...[...TIME_UNITS].filter((unit) => !['min', 'mins', 'h'].includes(unit)),
  'itl',
  'gb',
  'mb',
  'kb',
  'gib',
  'mib',
  'kib',
  'ram',
  'vram',
  'mem',
  'elapsed',
]);

export function metricDirection(metric: string, overrides?: Readonly<Record<string, Direction>>): Direction {
  const override = overrides !== undefined && Object.hasOwn(overrides, metric) ? overrides[metric] : undefined;
  if (override !== undefined) return override;
  const name = metric
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
  const words = name.split(/[^a-z0-9]+/).filter((word) => word !== '');
  if (isRate(name, words) || HIGHER_SUBSTRINGS.some((part) => name.includes(part)) || words.some((word) => HIGHER_WORDS.has(word))) return 'higher';
  if (LOWER_SUBSTRINGS.some((part) => name.includes(part)) || words.some((word) => LOWER_WORDS.has(word))) return 'lower';
  return 'higher';
}

/** Something per unit of time: "per <time unit>", "/<time unit>" at the last slash, or a compact rate word. */
function isRate(name: string, words: readonly string[]): boolean {
  for (let i = 0; i + 1 < words.length; i++) if (words[i] === 'per' && TIME_UNITS.has(words[i + 1]!)) return true;
  const slash = name.lastIndexOf('/');
  if (slash >= 0) {
    const denominator = name.slice(slash + 1).split(/[^a-z0-9]+/)[0] ?? '';
    if (TIME_UNITS.has(denominator)) return true;
  }
  return words.some((word) => RATE_WORDS.has(word));
}

/**
 * Per-metric overrides written as `metric=higher|lower`, separated by newlines or commas (blank
 * entries ignored). Throws ConfigError naming `source` and the bad entry.
 */
export function parseDirections(text: string, source: string): Record<string, Direction> {
  const directions: Record<string, Direction> = {};
  for (const raw of text.split(/[\n,]/)) {
    const entry = raw.trim();
    if (entry === '') continue;
    const equals = entry.lastIndexOf('=');
    const metric = equals < 0 ? '' : entry.slice(0, equals).trim();
    const value =
      equals < 0
        ? ''
        : entry
            .slice(equals + 1)
            .trim()
            .toLowerCase();
    if (metric === '' || (value !== 'higher' && value !== 'lower')) {
      throw new ConfigError(`${source}: '${entry}' is not a direction override; write metric=higher or metric=lower (e.g. samples_per_second=higher)`);
    }
    const earlier = Object.hasOwn(directions, metric) ? directions[metric] : undefined;
    if (earlier !== undefined && earlier !== value) {
      throw new ConfigError(`${source}: metric '${metric}' is given both ${earlier} and ${value}; give each metric one direction`);
    }
    directions[metric] = value;
  }
  return directions;
}
