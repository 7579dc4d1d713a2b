/** run-local: run a manifest or tags on this self-hosted runner (see src/github/run-models-step.ts). */
import { runAction } from '../github/run-action.ts';
import { runModelsPost, runModelsStep } from '../github/run-models-step.ts';

await runAction(() => runModelsStep({ defaultTags: [] }), runModelsPost);
