/**
 * How the ranks of a multi-node model combine into one number (compat §4.0, madengine's
 * `_determine_aggregation_method`): by the metric's name, throughput-like metrics are summed,
 * latency/accuracy-like ones averaged, memory-like ones take the maximum, anything else is summed
 * with a warning. The keyword lists are checked in that order (so "tokens/sec" sums even though
 * "sec" also reads like a time).
 */
export type Aggregation = 'sum' | 'mean' | 'max';

const RULES: readonly { method: Aggregation; keywords: readonly string[] }[] = [
  {
    method: 'sum',
    keywords: [
      'throughput',
      'samples_per_second',
      'tokens_per_second',
      'images_per_second',
      'requests_per_second',
      'qps',
      'bandwidth',
      'ops_per_second',
      'samples/sec',
      'tokens/sec',
    ],
  },
  {
    method: 'mean',
    keywords: ['latency', 'time', 'duration', 'milliseconds', 'seconds', 'ttft', 'tpot', 'response_time', 'accuracy', 'precision', 'recall', 'f1', 'loss'],
  },
  { method: 'max', keywords: ['memory', 'bytes', 'ram', 'vram', 'gb', 'mb'] },
];

/** The aggregation for a metric name; `known` is false when no rule matched (then it is summed). */
export function aggregationFor(metric: string): { method: Aggregation; known: boolean } {
  const lower = metric.toLowerCase();
  for (const rule of RULES) if (rule.keywords.some((keyword) => lower.includes(keyword))) return { method: rule.method, known: true };
  return { method: 'sum', known: false };
}

export function aggregate(values: readonly number[], method: Aggregation): number {
  if (values.length === 0) throw new Error('aggregate: no values');
  switch (method) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'mean':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'max':
      return Math.max(...values);
  }
}

/** A number as perf.csv text, without binary noise (0.1 + 0.2 is "0.3"). */
export function formatAggregate(value: number): string {
  return String(Number(value.toPrecision(12)));
}
