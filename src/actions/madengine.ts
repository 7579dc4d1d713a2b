/**
 * The one-step action (root action.yml): discover + build + run + report on one self-hosted runner.
 * Without tags or a manifest it runs every model of the hub.
 */
import { runAction } from '../github/run-action.ts';
import { runModelsPost, runModelsStep } from '../github/run-models-step.ts';

await runAction(() => runModelsStep({ defaultTags: ['all'] }), runModelsPost);
