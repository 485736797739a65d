/** Where `node dev/bundle.mjs` writes the page by default: plugins/elastic-ci/.local/dev-page. */
export declare const defaultOutdir: string;

/** Bundles the dev page (index.html + app.js) into `outdir` and returns that directory. */
export declare function bundleDevPage(options?: { outdir?: string; production?: boolean }): Promise<string>;
