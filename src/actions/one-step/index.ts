/** Entry point of the one-step root action (dist/one-step/index.mjs): main runs and reports, post is run-local's. */
import { runAction } from '../../github/run-action.ts';
import { readPostInputs } from '../run-local/inputs.ts';
import { post } from '../run-local/main.ts';
import { readInputs } from './inputs.ts';
import { main } from './main.ts';

await runAction(
  () => main(readInputs()),
  () => post(readPostInputs()),
);
