/** The docker CLI command equivalent to a build, as the manifest's build_command shows it. */
import type { PlannedBuild, PlannedImage } from '../images/plan.ts';

/** The equivalent docker CLI command, for the manifest and people reading it (secret values masked). */
export function buildCommand(build: PlannedBuild, image: PlannedImage, options: { noCache: boolean }, secretNames: readonly string[]): string {
  const quote = (value: string): string => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`);
  const args = Object.entries(build.buildArgs).map(([k, v]) => `--build-arg ${quote(`${k}=${v}`)}`);
  for (const name of secretNames) args.push(`--build-arg ${name}=***`);
  if (build.cred) args.push(`--build-arg ${build.cred}_<KEY>=***`);
  return [
    'docker build',
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
