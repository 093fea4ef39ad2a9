/** What every benchmark loader accepts. */
export interface BenchmarkLoadOptions {
  /** A split name from the benchmark definition, or "all"; default: the definition's default. */
  split?: string;
  /** `--data DIR`: where the data files are (see resolveDataFile). */
  dataDir?: string;
  /** Also load MBPP's challenge_test_list asserts, as group "challenge". */
  challenge?: boolean;
}
