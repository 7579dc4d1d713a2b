/**
 * What the build phase needs from a container engine. The Docker implementation lives in
 * src/engines/docker/image-engine.ts; tests may pass a fake with the same shape.
 */
import type { RegistryAuth } from '../registry/credentials.ts';

export interface EngineBuildRequest {
  tag: string;
  hubDir: string;
  /** Hub-relative. */
  contextDir: string;
  /** Hub-relative. */
  dockerfile: string;
  /** Hub-relative docker/common, the `tools` build context madengine passes when the hub has it. */
  toolsContext?: string;
  /** Build args including the secret ones the Dockerfile declares as ARG. */
  buildArgs: Record<string, string>;
  /** BuildKit secrets (id -> value) the Dockerfile mounts with `RUN --mount=type=secret,id=...`; never in args, labels or the context. */
  secrets?: Record<string, string>;
  labels: Record<string, string>;
  noCache: boolean;
  onLine: (line: string) => void;
  signal?: AbortSignal;
}

export interface ImageEngine {
  /** sha256 over the Dockerfile, the context files the daemon would receive, the build args and `extra`. */
  hashInputs(request: {
    hubDir: string;
    contextDir: string;
    dockerfile: string;
    toolsContext?: string;
    buildArgs: Record<string, string>;
    extra: string[];
  }): Promise<string>;
  /** The Dockerfile's text as the build will see it (which ARGs it declares, which secrets it mounts). */
  dockerfileText(request: { hubDir: string; contextDir: string; dockerfile: string; toolsContext?: string }): Promise<string>;
  /** A local image carrying this label value (its id and the names it is tagged with), if any. */
  findByLabel(label: string, value: string): Promise<{ id: string; tags: string[] } | undefined>;
  build(request: EngineBuildRequest): Promise<{ imageId: string; baseImage: string }>;
  tag(source: string, target: string): Promise<void>;
  login(auth: RegistryAuth): Promise<void>;
  push(ref: string, auth: RegistryAuth | undefined, onLine: (line: string) => void): Promise<{ digest: string }>;
}
