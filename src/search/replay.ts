import { InputError } from "../core/errors.js";
import type { BackupEvent, DoneEvent, ExpandEvent, LoggedEvent, RewardEvent, StartEvent } from "./event-log.js";

/** What the log says about one task: its expansions and rewards by node, its backups by rollout. */
export interface TaskLog {
  expansions: Map<number, ExpandEvent & { line: number }>;
  rewards: Map<number, RewardEvent & { line: number }>;
  backups: Map<number, BackupEvent & { line: number }>;
  done: DoneEvent | undefined;
}

/** A search log indexed for a resume. */
export interface SearchLogIndex {
  /** The first start event: the identity a resume must match. */
  start: StartEvent | undefined;
  tasks: Map<string, TaskLog>;
}

/** Indexes logged events by task; a second event for the same node or rollout is an InputError naming both lines. */
export function indexSearchLog(events: readonly LoggedEvent[], path: string): SearchLogIndex {
  const index: SearchLogIndex = { start: undefined, tasks: new Map() };
  const taskLog = (taskId: string): TaskLog => {
    let log = index.tasks.get(taskId);
    if (log === undefined) index.tasks.set(taskId, (log = { expansions: new Map(), rewards: new Map(), backups: new Map(), done: undefined }));
    return log;
  };
  const once = <T extends { line: number }>(map: Map<number, T>, key: number, value: T, what: string): void => {
    const earlier = map.get(key);
    if (earlier !== undefined) throw new InputError(`a second ${what} (the first is on line ${earlier.line}); the log was written by two searches at once`, path, value.line);
    map.set(key, value);
  };
  for (const { line, event } of events) {
    switch (event.kind) {
      case "start":
        index.start ??= event;
        break;
      case "expand":
        once(taskLog(event.task_id).expansions, event.node, { ...event, line }, `expansion of node ${event.node} of task ${event.task_id}`);
        break;
      case "reward":
        once(taskLog(event.task_id).rewards, event.node, { ...event, line }, `reward of node ${event.node} of task ${event.task_id}`);
        break;
      case "backup":
        once(taskLog(event.task_id).backups, event.rollout, { ...event, line }, `rollout ${event.rollout} of task ${event.task_id}`);
        break;
      case "done":
        taskLog(event.task_id).done = event;
        break;
      case "failure":
        // A request or judgement that failed is not replayed: a resume asks again.
        break;
    }
  }
  return index;
}
