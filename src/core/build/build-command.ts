/** The docker CLI command equivalent to a build, as the manifest's build_command shows it. */
import type { PlannedBuild, PlannedImage } from '../images/plan.ts';
import { splitSecretArgs } from './build-secrets.ts';

/** The equivalent docker CLI command, for the manifest and people reading it (secret values masked). */
export function buildCommand(
  build: PlannedBuild,
  image: PlannedImage,
  options: { noCache: boolean },
  secrets: { buildArgs: readonly string[]; mounts: readonly string[]; unknownMounts?: readonly string[] },
): string {
  const quote = (value: string): string => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`);
  // MAD_SECRETS* docker_build_arg are secrets: shown (masked) only when the build passes them, with the others below.
  const args = Object.entries(splitSecretArgs(build.buildArgs).plain).map(([k, v]) => `--build-arg ${quote(`${k}=${v}`)}`);
  for (const name of secrets.buildArgs) args.push(`--build-arg ${quote(`${name}=***`)}`);
  // `docker build --secret id=X,env=X` reads the value from the variable of that name, which is where it comes from.
  for (const id of secrets.mounts) args.push(`--secret ${quote(`id=${id},env=${id}`)}`);
  return [
    // Any secret mount needs BuildKit, also one no secret serves (difference 35).
    secrets.mounts.length || secrets.unknownMounts?.length ? 'DOCKER_BUILDKIT=1 docker build' : 'docker build',
    options.noCache ? '--no-cache' : '',
    '--network=host',
    `-t ${quote(image.image)}`,
    `-f ${quote(build.dockerfile)}`,
    ...args,
    quote(build.contextDir),
  ]
    .filter(Boolean)
    .join(' ');
}
