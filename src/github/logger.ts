/** The core's Logger on a GitHub runner: log groups, annotations with file/line, debug. */
import * as core from '@actions/core';
import type { Logger } from '../core/log.ts';

type Where = { file?: string; line?: number; column?: number } | undefined;

function annotation(where: Where): core.AnnotationProperties {
  if (!where?.file) return {};
  return { file: where.file, ...(where.line ? { startLine: where.line } : {}), ...(where.column ? { startColumn: where.column } : {}) };
}

export function actionsLogger(): Logger {
  return {
    info: (message) => core.info(message),
    warn: (message, where) => core.warning(message, annotation(where)),
    error: (message, where) => core.error(message, annotation(where)),
    debug: (message) => core.debug(message),
    group: (title, fn) => core.group(title, fn),
  };
}
