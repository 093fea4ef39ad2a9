/** One program to judge for one task. */
export interface Sample {
  taskId: string;
  /** Index among this task's samples, in file order. */
  sampleIndex: number;
  /** The whole program (a `completion` has already been appended to the task's prompt). */
  program: string;
}
