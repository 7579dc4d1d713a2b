/** Entry point of run-local and of the one-step root action (dist/run-local/index.mjs), main and post. */
import { runAction } from '../../github/run-action.ts';
import { readInputs, readPostInputs } from './inputs.ts';
import { main, post } from './main.ts';

await runAction(
  () => main(readInputs()),
  () => post(readPostInputs()),
);
