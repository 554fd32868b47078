/** Latency samples in milliseconds; percentiles by nearest rank on the sorted samples. */
export class Samples {
  private values = new Float64Array(1024);
  private length = 0;

  push(ms: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = ms;
  }

  get count(): number {
    return this.length;
  }

  /** Percentiles (0..100) of the samples, all from one sort; NaN when there are none. */
  percentiles(...ps: number[]): number[] {
    if (this.length === 0) return ps.map(() => Number.NaN);
    const sorted = this.values.slice(0, this.length).sort();
    return ps.map(
      (p) => sorted[Math.min(this.length - 1, Math.max(0, Math.ceil((p / 100) * this.length) - 1))]!,
    );
  }
}

export const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
