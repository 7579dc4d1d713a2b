// Types of scripts/action-docs.mjs, for the TypeScript tests that import it.
export interface ActionInputSpec {
  name: string;
  description: string;
  required: boolean;
  /** Absent when action.yml gives no default. */
  default?: string;
}
export interface ActionOutputSpec {
  name: string;
  description: string;
}
export interface ActionSpec {
  name: string;
  description: string;
  inputs: ActionInputSpec[];
  outputs: ActionOutputSpec[];
}
export interface ReadmeBlock {
  name: string;
  bodyStart: number;
  bodyEnd: number;
}

export declare const repoRoot: string;
export declare const ROOT_ACTION: 'madengine';
export declare function actionFile(name: string): string;
export declare function markers(name: string): { start: string; end: string };
export declare function listActions(root?: string): Promise<string[]>;
export declare function parseActionSpec(text: string, file: string): ActionSpec;
export declare function loadActionSpec(name: string, root?: string): Promise<ActionSpec>;
export declare function renderActionDocs(name: string, spec: ActionSpec): string;
export declare function findBlocks(readme: string): { blocks: ReadmeBlock[]; problems: string[] };
export declare function syncReadme(readme: string, specs: Map<string, ActionSpec | Error>): { text: string; problems: string[] };
export declare function checkReadme(root?: string): Promise<{ readme: string; text: string; problems: string[] }>;
