/**
 * The statistics of a comparison: mean, sample standard deviation, relative change and a
 * deterministic bootstrap confidence interval of it (same inputs and seed, same interval, on
 * every machine, so a report never flips between re-runs).
 */

/** How many bootstrap resamples an interval is computed from. */
export const RESAMPLES = 2000;

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of no values');
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Sample standard deviation (n - 1); undefined for fewer than 2 values. */
export function stddev(values: readonly number[]): number | undefined {
  if (values.length < 2) return undefined;
  const m = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - m) * (value - m);
  return Math.sqrt(squares / (values.length - 1));
}

/**
 * Percent change of `head` against `base`: (head / base - 1) * 100, written (head - base) / |base| * 100
 * so a negative base still gives a positive change for a rise. Undefined when base is 0.
 */
export function relativeChange(base: number, head: number): number | undefined {
  return base === 0 ? undefined : ((head - base) / Math.abs(base)) * 100;
}

/** An effect this close to the threshold counts as reaching it (10 % of 100 is 9.999999999999998 % in floats). */
const THRESHOLD_TOLERANCE = 1e-9;

/** Whether a positive effect (percent) reaches `threshold` percent; an effect equal to it does. */
export function reachesThreshold(effect: number, threshold: number): boolean {
  return effect > 0 && effect >= threshold - THRESHOLD_TOLERANCE;
}

/** The resampled changes of one interval, reused: thousands of intervals allocate nothing (no GC). */
const scratch = new Float64Array(RESAMPLES);

/** Up to this many samples a side is resampled two picks at a time, from a table of all pair sums. */
const PAIR_TABLE_LIMIT = 64; // 4,096 pairs

/** One side of an interval, ready for resampling. */
interface Side {
  values: readonly number[];
  /** pairs[i * n + j] = values[i] + values[j]; one draw picks a uniform pair = two independent picks. */
  pairs?: Float64Array;
}

const pairTables = [new Float64Array(PAIR_TABLE_LIMIT * PAIR_TABLE_LIMIT), new Float64Array(PAIR_TABLE_LIMIT * PAIR_TABLE_LIMIT)] as const;

function side(values: readonly number[], table: Float64Array): Side {
  const n = values.length;
  if (n < 2 || n > PAIR_TABLE_LIMIT) return { values };
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) table[i * n + j] = values[i]! + values[j]!;
  return { values, pairs: table };
}

/**
 * Percentile bootstrap confidence interval (two-sided, at `confidence`) of the relative change of
 * mean(head) against mean(base), in percent. Each side is resampled with replacement; a side with one
 * sample stays fixed (both with one: the interval is the point). Resamples whose base mean is 0 are
 * left out. Deterministic: the resampling PRNG is seeded from `seed` (e.g. the key's id).
 */
export function ratioInterval(base: readonly number[], head: readonly number[], confidence: number, seed: string): { low: number; high: number } {
  if (base.length === 0 || head.length === 0) throw new RangeError('ratioInterval needs at least one sample on each side');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1 (exclusive), got ${confidence}`);
  if (base.length === 1 && head.length === 1) {
    const point = relativeChange(base[0]!, head[0]!) ?? Number.NaN;
    return { low: point, high: point };
  }
  const prng = { state: hashString(seed) };
  const baseSide = side(base, pairTables[0]);
  const headSide = side(head, pairTables[1]);
  const baseMean = mean(base);
  const headMean = mean(head);
  const changes = scratch;
  let count = 0;
  for (let r = 0; r < RESAMPLES; r++) {
    const b = base.length === 1 ? baseMean : resampledMean(baseSide, prng);
    const h = head.length === 1 ? headMean : resampledMean(headSide, prng);
    if (b !== 0) changes[count++] = ((h - b) / Math.abs(b)) * 100;
  }
  if (count === 0) return { low: Number.NaN, high: Number.NaN };
  const values = changes.subarray(0, count);
  const tail = (1 - confidence) / 2;
  return { low: quantile(values, tail), high: quantile(values, 1 - tail) };
}

/**
 * The interval compare uses: the wider of the percentile bootstrap and the Welch t-interval. The
 * bootstrap alone is too narrow for a handful of samples (with 2-5 a side it flagged 5-16 % of
 * equal-mean keys at 95 %); the t-interval keeps that near the nominal rate, and for many samples the
 * two agree.
 */
export function changeInterval(base: readonly number[], head: readonly number[], confidence: number, seed: string): { low: number; high: number } {
  const bootstrap = ratioInterval(base, head, confidence, seed);
  const t = welchLogInterval(base, head, confidence);
  return t ? { low: Math.min(bootstrap.low, t.low), high: Math.max(bootstrap.high, t.high) } : bootstrap;
}

/**
 * Welch t-interval of the change of the geometric means, in percent: on log values (performance is a
 * positive quantity and noise is multiplicative), Welch-Satterthwaite degrees of freedom; a side with one
 * sample contributes no variance. Undefined when a value is not positive or no side has spread.
 */
export function welchLogInterval(base: readonly number[], head: readonly number[], confidence: number): { low: number; high: number } | undefined {
  if (base.some((v) => !(v > 0)) || head.some((v) => !(v > 0))) return undefined;
  const sideStats = (values: readonly number[]) => {
    const logs = values.map(Math.log);
    const sd = stddev(logs);
    return { mean: mean(logs), term: sd === undefined ? 0 : (sd * sd) / logs.length, n: logs.length };
  };
  const b = sideStats(base);
  const h = sideStats(head);
  const variance = b.term + h.term;
  if (!(variance > 0)) return undefined;
  const df = variance ** 2 / ((b.n > 1 ? b.term ** 2 / (b.n - 1) : 0) + (h.n > 1 ? h.term ** 2 / (h.n - 1) : 0));
  const half = studentT(1 - (1 - confidence) / 2, df) * Math.sqrt(variance);
  const d = h.mean - b.mean;
  return { low: (Math.exp(d - half) - 1) * 100, high: (Math.exp(d + half) - 1) * 100 };
}

/** Quantile p (0.5 < p < 1) of Student's t with `df` degrees of freedom: exact for df 1 and 2, else Cornish-Fisher (error under 1 % for df >= 3, the interval slightly narrow). */
export function studentT(p: number, df: number): number {
  if (df <= 1) return Math.tan(Math.PI * (p - 0.5));
  if (df <= 2) return (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
  const z = normalQuantile(p);
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

/** Quantile of the standard normal (Acklam's rational approximation, relative error < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q = p < 0.5 ? p : 1 - p;
  let x: number;
  if (q < 0.02425) {
    const r = Math.sqrt(-2 * Math.log(q));
    x = (((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) / ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1);
  } else {
    const r = q - 0.5;
    const s = r * r;
    x =
      ((((((a[0]! * s + a[1]!) * s + a[2]!) * s + a[3]!) * s + a[4]!) * s + a[5]!) * r) /
      (((((b[0]! * s + b[1]!) * s + b[2]!) * s + b[3]!) * s + b[4]!) * s + 1);
    return p < 0.5 ? x : -x;
  }
  return p < 0.5 ? x : -x;
}

/**
 * Mean of values.length picks with replacement. mulberry32 (small, fast, well mixed) is inlined for
 * speed; a 32-bit draw picks one of m choices by pick(). With a pair table each draw picks two values,
 * halving the draws.
 */
function resampledMean({ values, pairs }: Side, prng: { state: number }): number {
  const n = values.length;
  let state = prng.state;
  let sum = 0;
  let i = 0;
  if (pairs !== undefined) {
    const n2 = n * n;
    for (; i + 1 < n; i += 2) {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), state | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      sum += pairs[pick(t ^ (t >>> 14), n2)]!;
    }
  }
  for (; i < n; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    sum += values[pick(t ^ (t >>> 14), n)]!;
  }
  prng.state = state;
  return sum / n;
}

/**
 * floor(x * m / 2^32) for a 32-bit x: one of m choices, uniform up to a bias of m / 2^32. Up to
 * m = 65,536 exactly in integer arithmetic (in 16-bit halves, every product below 2^32).
 */
function pick(x: number, m: number): number {
  if (m > 65536) return Math.floor(((x >>> 0) / 4294967296) * m);
  return ((x >>> 16) * m + (((x & 0xffff) * m) >>> 16)) >>> 16;
}

/**
 * The q-quantile with linear interpolation between order statistics (the "type 7" of R and numpy),
 * found by selection (O(n)) instead of a full sort; reorders `values`.
 */
export function quantile(values: Float64Array, q: number): number {
  const position = q * (values.length - 1);
  const below = Math.floor(position);
  const lower = select(values, below);
  if (position === below) return lower;
  // The next order statistic is the smallest value right of `below` after selection.
  let upper = Infinity;
  for (let i = below + 1; i < values.length; i++) if (values[i]! < upper) upper = values[i]!;
  return lower + (upper - lower) * (position - below);
}

/** Hoare's quickselect: puts the k-th smallest value at index k (smaller left, larger right) and returns it. */
function select(values: Float64Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (left < right) {
    const pivot = values[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k]!;
}

/** FNV-1a, 32 bits: a seed from a string. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
