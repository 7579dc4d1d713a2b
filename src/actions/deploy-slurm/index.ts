/** Entry point of deploy-slurm (dist/deploy-slurm/index.mjs), main and post. */
import { runAction } from '../../github/run-action.ts';
import { readInputs } from './inputs.ts';
import { main, post } from './main.ts';

await runAction(
  () => main(readInputs()),
  () => post(),
);
