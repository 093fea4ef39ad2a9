import { isTerminalStep, parseStep, programFromSteps, stepAction } from "../prompts/pseudocode.js";
import { programDigest } from "../judge/program-identity.js";
import type { StepCandidate } from "./policy.js";
import type { ChildSpec } from "./tree.js";

/**
 * Turns an expansion's candidates into child steps: each is cleaned like any pseudocode step
 * (parseStep), empty ones are dropped, identical texts are merged into one child (sampling the
 * same step twice says it is likely, not that it is two steps), and the terminal rule of the
 * paper's code applies: a step with a ```python fence is terminal, and so is any step at the
 * depth limit.
 *
 * Priors (PUCT): exp(mean token logprob) of each candidate, summed over merged duplicates and
 * normalised over the siblings. They are null for every child unless every candidate came
 * with a logprob, so siblings are never ranked on partial evidence.
 */
export function childrenFromCandidates(candidates: readonly StepCandidate[], depth: number, maxDepth: number): ChildSpec[] {
  const byText = new Map<string, { spec: ChildSpec; weight: number }>();
  const withLogprobs = candidates.length > 0 && candidates.every((c) => typeof c.meanLogprob === "number" && Number.isFinite(c.meanLogprob));
  for (const candidate of candidates) {
    const step = parseStep(candidate.text);
    if (step === "") continue;
    const weight = withLogprobs ? Math.exp(candidate.meanLogprob as number) : 0;
    const same = byText.get(step);
    if (same !== undefined) {
      same.spec.samples += 1;
      same.weight += weight;
      continue;
    }
    const code = isTerminalStep(step);
    byText.set(step, {
      weight,
      spec: {
        step,
        action: stepAction(step) ?? null,
        logprob: withLogprobs ? (candidate.meanLogprob as number) : null,
        prior: null,
        samples: 1,
        terminal: code ? "code" : depth >= maxDepth ? "depth_limit" : null,
        programSha256: code ? programDigest(programFromSteps([step]) ?? "") : null,
      },
    });
  }
  const children = [...byText.values()];
  if (withLogprobs) {
    const total = children.reduce((s, c) => s + c.weight, 0);
    // Every logprob -Infinity-like small: fall back to uniform rather than divide by zero.
    for (const c of children) c.spec.prior = total > 0 ? c.weight / total : 1 / children.length;
  }
  return children.map((c) => c.spec);
}
