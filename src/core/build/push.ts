/** Pushing built images: the registry login (once per build phase) and each push, errors returned rather than thrown. */
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { registryAuthFor, registryLogin, type Credentials, type RegistryAuth } from '../registry/credentials.ts';
import { redact } from '../secrets/redactor.ts';
import type { ImageEngine } from './engine.ts';

/** What logging in and pushing need of the build options. */
export interface PushOptions {
  /** Push target; nothing is pushed without it. */
  registry?: string;
  credentials: Credentials;
  engine: ImageEngine;
  /** Mirror push output to the logger. */
  liveOutput: boolean;
  logger: Logger;
}

/** Log in to the push registry with its credential.json entry, once per build phase; a failure is every push's error. */
export async function registryAuth(options: PushOptions): Promise<{ auth?: RegistryAuth; error?: string }> {
  if (!options.registry) return {};
  let login;
  try {
    login = registryLogin(options.registry, options.credentials);
  } catch (error) {
    return { error: errorMessage(error) };
  }
  if (!login) return {};
  const auth = registryAuthFor(options.registry, login);
  try {
    await options.engine.login(auth);
    options.logger.info(`logged in to ${options.registry} as ${login.username}`);
    return { auth };
  } catch (error) {
    const reason = redact(errorMessage(error), [login.password]);
    return { error: `login to ${options.registry} as ${login.username} failed: ${reason}` };
  }
}

/** Tag `image` as `target` and push it; `alreadyThere` is the digest of an image the registry already holds (reused there). */
export async function pushOne(
  options: PushOptions,
  image: string,
  target: string,
  auth: RegistryAuth | undefined,
  safe: (text: string) => string,
  alreadyThere: string | undefined,
): Promise<{ digest: string } | { error: string }> {
  if (alreadyThere) return { digest: alreadyThere };
  try {
    if (target !== image) await options.engine.tag(image, target);
    const { digest } = await options.engine.push(target, auth, (line) => {
      if (options.liveOutput) options.logger.info(safe(line));
    });
    options.logger.info(`pushed ${target}@${digest}`);
    return { digest };
  } catch (error) {
    return { error: safe(errorMessage(error)) };
  }
}
