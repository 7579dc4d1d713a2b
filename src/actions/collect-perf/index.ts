/** Entry point of collect-perf (dist/collect-perf/index.mjs). */
import { runAction } from '../../github/run-action.ts';
import { readInputs } from './inputs.ts';
import { main } from './main.ts';

await runAction(() => main(readInputs()));
