import type { OpenAIApi } from "../models/openai-compatible.js";
import type { PseudocodeOptions } from "../prompts/pseudocode.js";
import type { StepPolicy } from "./policy.js";
import type { RewardJudge } from "./reward.js";
import type { SearchSettings } from "./search-config.js";
import type { SearchTask } from "./search-task.js";

/** What a search, and its best-of-N baseline, run on: tasks, settings, the model and the judge. */
export interface SearchInputs {
  tasks: readonly SearchTask[];
  settings: SearchSettings;
  /** completions (default) or chat (the path continued as an assistant message). */
  api?: OpenAIApi;
  prompt?: PseudocodeOptions;
  policy: StepPolicy;
  judge: RewardJudge;
  /** Tasks worked on at once (default: all of them). */
  tasksInFlight?: number;
  /** Stops every task at its next safe point (a rollout, a path); what was done is kept. */
  signal?: AbortSignal;
}
