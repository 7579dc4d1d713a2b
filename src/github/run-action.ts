/**
 * The frame of every action entry point: the same bundle runs as `main` and as `post`
 * (state `isPost`), and any error becomes core.setFailed with an annotation pointing at the
 * hub file at fault when the error knows it.
 */
import * as core from '@actions/core';
import { MadError, errorMessage } from '../core/errors.ts';
import { getState, saveState } from './state.ts';

export async function runAction(main: () => Promise<void>, post?: () => Promise<void>): Promise<void> {
  const isPost = getState('isPost') === 'true';
  if (!isPost) saveState('isPost', 'true');
  try {
    if (isPost) await post?.();
    else await main();
  } catch (error) {
    if (error instanceof MadError && error.file) {
      core.error(error.message, { file: error.file, ...(error.line ? { startLine: error.line } : {}), ...(error.column ? { startColumn: error.column } : {}) });
    }
    core.setFailed(errorMessage(error));
    if (core.isDebug() && error instanceof Error && error.stack) core.debug(error.stack);
  }
}

/** The workspace: where relative hub/output paths are resolved (GITHUB_WORKSPACE on a runner). */
export function workspace(): string {
  return process.env.GITHUB_WORKSPACE ?? process.cwd();
}
