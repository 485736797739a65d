/** The actions/ directory. */
export declare const actionsDir: string;

/** The actions: directories of actions/ with an action.yml and a src/main.ts, sorted. */
export declare function listActions(): string[];

/** The committed bundle that the action's action.yml runs: actions/<action>/dist/index.cjs. */
export declare function committedBundle(action: string): string;

/** Builds `action` into `outfile` (default: its committed bundle) and returns the file's path. */
export declare function bundleAction(action: string, outfile?: string): Promise<string>;
