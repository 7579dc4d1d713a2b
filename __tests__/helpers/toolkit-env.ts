/**
 * Running the REAL @actions/* clients in-process: they read the runner's env (ACTIONS_RESULTS_URL,
 * ACTIONS_RUNTIME_TOKEN, ...) at call time and print `::debug::` / `::warning::` commands to stdout.
 */

let captured = '';

/** What @actions/core printed during the last `withEnv`. */
export function toolkitLog(): string {
  return captured;
}

/**
 * Run `fn` with `env` in process.env, then put the old values back. The toolkit's stdout goes to
 * `toolkitLog()` (its ::debug:: chatter would flood the test output); MADENGINE_TEST_VERBOSE=1 shows it live.
 */
export async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  const write = process.stdout.write;
  captured = '';
  if (!process.env.MADENGINE_TEST_VERBOSE) {
    // Only the toolkit's strings: under `node --test` the runner's own reports are binary chunks on stdout.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk !== 'string') return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
      captured += chunk;
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
