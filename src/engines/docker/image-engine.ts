/** The build phase's ImageEngine on a Docker-API daemon (Docker or podman) through dockerode. */
import path from 'node:path';
import type Docker from 'dockerode';
import type { ImageEngine } from '../../core/build/engine.ts';
import { secretMountIds } from '../../core/images/dockerfile.ts';
import { collectBuildContext, hashBuildInputs, withToolsContext, type BuildContext } from './build-context.ts';
import { buildWithSecrets } from './buildkit/build.ts';
import { baseImages, buildImage, findImagesByLabel, pushImage, shouldPull, tagImage } from './images.ts';

export function dockerImageEngine(docker: Docker): ImageEngine {
  // hashInputs and build both need the context walk; do it once per (context, Dockerfile).
  const contexts = new Map<string, Promise<BuildContext>>();
  const contextFor = (hubDir: string, contextDir: string, dockerfile: string, toolsContext: string | undefined): Promise<BuildContext> => {
    const key = `${hubDir}\0${contextDir}\0${dockerfile}\0${toolsContext ?? ''}`;
    let context = contexts.get(key);
    if (!context) {
      context = collectBuildContext(path.join(hubDir, contextDir), path.join(hubDir, dockerfile)).then((collected) =>
        toolsContext ? withToolsContext(collected, path.join(hubDir, toolsContext)) : collected,
      );
      contexts.set(key, context);
    }
    return context;
  };
  return {
    async hashInputs({ hubDir, contextDir, dockerfile, toolsContext, buildArgs, extra }) {
      return hashBuildInputs(await contextFor(hubDir, contextDir, dockerfile, toolsContext), buildArgs, extra);
    },
    async dockerfileText({ hubDir, contextDir, dockerfile, toolsContext }) {
      return (await contextFor(hubDir, contextDir, dockerfile, toolsContext)).dockerfileText;
    },
    async findByLabel(label, value) {
      const [image] = await findImagesByLabel(docker, label, value);
      return image ? { id: image.Id, tags: image.RepoTags ?? [] } : undefined;
    },
    async build(request) {
      const context = await contextFor(request.hubDir, request.contextDir, request.dockerfile, request.toolsContext);
      const pull = await shouldPull(docker, context.dockerfileText, request.buildArgs);
      const build = {
        tag: request.tag,
        context,
        buildArgs: request.buildArgs,
        labels: request.labels,
        noCache: request.noCache,
        pull,
        onLine: request.onLine,
        ...(request.signal ? { signal: request.signal } : {}),
      };
      // Secret mounts need BuildKit (the classic builder rejects `--mount`), also those no secret serves;
      // everything else keeps the classic builder madengine's hubs were written for.
      const buildKit = request.secrets !== undefined || secretMountIds(context.dockerfileText).length > 0;
      const { imageId } = buildKit
        ? await buildWithSecrets(docker, { ...build, secrets: request.secrets ?? {}, dockerfile: request.dockerfile })
        : await buildImage(docker, build);
      return { imageId, baseImage: baseImages(context.dockerfileText, request.buildArgs)[0] ?? '' };
    },
    tag: (source, target) => tagImage(docker, source, target),
    // POST /auth: throws with the daemon's reason on bad credentials.
    login: async (auth) => {
      await docker.checkAuth(auth);
    },
    push: (ref, auth, onLine) => pushImage(docker, ref, auth, onLine),
  };
}
