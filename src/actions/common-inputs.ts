/** The inputs every action has (hub, additional-context, additional-context-file), read one way. */
import path from 'node:path';
import { ConfigError, errorMessage } from '../core/errors.ts';
import { parseJsonText } from '../core/util/json-file.ts';
import type { InputReader } from '../github/inputs.ts';
import { workspace } from '../github/run-action.ts';
import type { ContextInput } from '../pipeline/load.ts';

export const COMMON_INPUT_NAMES = ['hub', 'additional-context', 'additional-context-file'] as const;
export type CommonInputName = (typeof COMMON_INPUT_NAMES)[number];

export interface CommonInputs {
  /** Absolute hub directory (relative to the workspace). */
  hubDir: string;
  context: ContextInput;
}

export function readCommonInputs(input: InputReader<CommonInputName>): CommonInputs {
  const text = input.optional('additional-context');
  const file = input.optional('additional-context-file');
  return {
    hubDir: path.resolve(workspace(), input.optional('hub') ?? '.'),
    context: {
      ...(text !== undefined ? { text, textSource: "input 'additional-context'" } : {}),
      ...(file !== undefined ? { file: path.resolve(workspace(), file) } : {}),
    },
  };
}

/** A JSON input, parsed like every JSON file (nesting limit, line:column of a syntax error); undefined when empty. */
export function jsonInput<Name extends string>(input: InputReader<Name>, name: Name, options: { required?: boolean } = {}): unknown {
  const value = input.string(name, options);
  if (value === '') return undefined;
  try {
    return parseJsonText(value, 'JSON', ConfigError);
  } catch (error) {
    // Not a file: the message names the input, and no annotation points at a file.
    throw new ConfigError(`input '${name}' is not valid JSON: ${errorMessage(error).replace(/^JSON:/, 'at ')}`);
  }
}
