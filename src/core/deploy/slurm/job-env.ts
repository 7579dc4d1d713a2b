/**
 * The environment sbatch hands the jobs. sbatch exports the submitter's whole environment to the job
 * (--export=ALL), and SLURM keeps it in its state files: on a runner that would include the workflow's
 * tokens. The jobs get everything else (PATH, HOME, SLURM_CONF, proxies, MAD_* settings and the
 * MAD_SECRETS* / MAD_DOCKERHUB_* values a model and its pulls are meant to get).
 */
import { isSecretName } from '../../secrets/selection.ts';

/** Runner plumbing and credentials that are the runner's, not the model's. */
const RUNNER_ONLY = /^(INPUT_|ACTIONS_|GITHUB_TOKEN$|RUNNER_TOKEN$|STATE_)/;
/** Names that say they hold a credential. */
const CREDENTIAL_LIKE = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)/i;

export function jobEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const meantForModels = isSecretName(name) || name.startsWith('MAD_DOCKERHUB_');
    if (!meantForModels && (RUNNER_ONLY.test(name) || CREDENTIAL_LIKE.test(name))) continue;
    kept[name] = value;
  }
  return kept;
}
