/** What an action's main step hands to its post step, under typed keys (GITHUB_STATE). */
import * as core from '@actions/core';

export type StateKey = 'isPost' | 'run-id';

export function saveState(key: StateKey, value: string): void {
  core.saveState(key, value);
}

export function getState(key: StateKey): string {
  return core.getState(key);
}
