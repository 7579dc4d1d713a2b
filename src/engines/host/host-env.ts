/**
 * The environment a host-executor model starts from: a curated part of the runner's environment, not
 * all of it. A runner's environment holds credentials (ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_*,
 * GITHUB_TOKEN, INPUT_* action inputs, MAD_DOCKERHUB_PASSWORD, ...) that a model has no use for and
 * whose values would then sit in the run log. Docker models get only the curated environment of
 * model-env.ts; host models get that too (the spec's env), plus what a process needs to work on this
 * machine: the names below (difference 29).
 */

/** Process basics: where programs and the home directory are, who runs them, locale, terminal, temp dir, time zone. */
const BASICS = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TERM', 'TMPDIR', 'TMP', 'TEMP', 'TZ'];

/** Network access through a proxy and its CA certificates (both spellings: tools differ in which they read). */
const NETWORK = [
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
];

/**
 * GPU stacks and Python toolchains installed on the machine: without them a host model finds no ROCm or
 * CUDA libraries, no virtualenv/conda environment and no shared model cache. *_VISIBLE_DEVICES keep a
 * machine-wide GPU restriction (the executor narrows it to the model's GPUs).
 */
const TOOLCHAIN = [
  'ROCM_PATH',
  'ROCM_HOME',
  'HIP_PATH',
  'HIP_PLATFORM',
  'HSA_OVERRIDE_GFX_VERSION',
  'HIP_VISIBLE_DEVICES',
  'ROCR_VISIBLE_DEVICES',
  'CUDA_VISIBLE_DEVICES',
  'CUDA_HOME',
  'CUDA_PATH',
  'LD_LIBRARY_PATH',
  'PYTHONPATH',
  'VIRTUAL_ENV',
  'CONDA_PREFIX',
  'CONDA_DEFAULT_ENV',
  'HF_HOME',
  'TORCH_HOME',
  'XDG_CACHE_HOME',
];

/** Exact names a host model gets from the runner; LC_* (locale categories) too. */
export const HOST_ENV_NAMES: readonly string[] = [...BASICS, ...NETWORK, ...TOOLCHAIN];
const HOST_ENV_PATTERN = /^LC_[A-Z]+$/;

/** The part of `env` a host model may see (names above); everything else (tokens, inputs, passwords) stays out. */
export function hostBaseEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const names = new Set(HOST_ENV_NAMES);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && (names.has(name) || HOST_ENV_PATTERN.test(name))) out[name] = value;
  return out;
}
