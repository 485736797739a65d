// Runs before each `web` test file (jsdom, CommonJS).
import { jest } from '@jest/globals';

// Component tests: material-table in jsdom is slow on 2 cores (1–3 s for a full tab).
jest.setTimeout(20_000);

// jsdom lacks a few browser APIs that Material UI and Backstage components touch (and a few tests run in `node`).
if (typeof window !== 'undefined') {
  window.scrollTo = () => {}; // jsdom: "not implemented"
  window.matchMedia ??= (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

// jsdom's CSS parser does not know some modern syntax in injected library styles; the complaint is noise.
const consoleError = console.error;
console.error = (...args: unknown[]) => {
  const first = args[0];
  const message = first instanceof Error ? first.message : String(first);
  if (message.includes('Could not parse CSS stylesheet')) return;
  consoleError(...args);
};
