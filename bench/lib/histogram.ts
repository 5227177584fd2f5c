/**
 * A small log-linear latency histogram in microseconds, in the spirit of HdrHistogram: exact below
 * 128 µs, then 64 sub-buckets per power of two (relative error under 1.6 %). Mergeable and cheap to
 * ship between processes (only non-empty buckets travel).
 */
const LINEAR = 128;
const SUB_BUCKETS = 64;
const MAX_EXPONENT = 31;
const SIZE = LINEAR + (MAX_EXPONENT - 7 + 1) * SUB_BUCKETS;
const MAX_VALUE = 2 ** MAX_EXPONENT - 1;

export interface HistogramSummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Wire form: [index, count] pairs plus the exact max and sum. */
export interface HistogramData {
  readonly buckets: number[];
  readonly max: number;
  readonly sum: number;
  readonly count: number;
}

function indexOf(value: number): number {
  const v = value <= 0 ? 0 : value >= MAX_VALUE ? MAX_VALUE : Math.round(value);
  if (v < LINEAR) return v;
  const exponent = 31 - Math.clz32(v);
  const shift = exponent - 6;
  return LINEAR + (exponent - 7) * SUB_BUCKETS + ((v >>> shift) - SUB_BUCKETS);
}

/** The highest value that falls into bucket `index` (what HDR calls "highest equivalent"). */
function upperBound(index: number): number {
  if (index < LINEAR) return index;
  const rel = index - LINEAR;
  const exponent = Math.floor(rel / SUB_BUCKETS) + 7;
  const sub = (rel % SUB_BUCKETS) + SUB_BUCKETS;
  const shift = exponent - 6;
  return (sub + 1) * 2 ** shift - 1;
}

export class Histogram {
  private counts = new Float64Array(SIZE);
  count = 0;
  max = 0;
  sum = 0;

  record(micros: number): void {
    this.counts[indexOf(micros)]! += 1;
    this.count++;
    this.sum += micros;
    if (micros > this.max) this.max = micros;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
    this.sum = 0;
  }

  merge(data: HistogramData): void {
    for (let i = 0; i < data.buckets.length; i += 2) this.counts[data.buckets[i]!]! += data.buckets[i + 1]!;
    this.count += data.count;
    this.sum += data.sum;
    if (data.max > this.max) this.max = data.max;
  }

  toData(): HistogramData {
    const buckets: number[] = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i]! > 0) buckets.push(i, this.counts[i]!);
    return { buckets, max: this.max, sum: this.sum, count: this.count };
  }

  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperBound(i), this.max);
    }
    return this.max;
  }

  summary(): HistogramSummary {
    return {
      count: this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: this.max,
      mean: this.count === 0 ? 0 : this.sum / this.count,
    };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }
}
