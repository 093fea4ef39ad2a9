/** The sample styles a run can compare (the registry in prompt-styles.ts holds one entry each). */
export const PROMPT_STYLE_NAMES = ["vanilla", "pseudocode"] as const;

/** The name of a sample style. */
export type PromptStyleName = (typeof PROMPT_STYLE_NAMES)[number];
