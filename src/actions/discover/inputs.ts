/** discover's inputs (action.yml: actions/discover/action.yml). */
import { inputReader } from '../../github/inputs.ts';
import { COMMON_INPUT_NAMES, readCommonInputs, type CommonInputs } from '../common-inputs.ts';

export const INPUT_NAMES = [...COMMON_INPUT_NAMES, 'tags'] as const;

export interface Inputs extends CommonInputs {
  tags: string[];
}

export function readInputs(): Inputs {
  const input = inputReader(INPUT_NAMES);
  return { ...readCommonInputs(input), tags: input.list('tags') };
}
