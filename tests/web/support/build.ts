import { webAppDirectory } from '../../../src/api/web-app';

interface Step {
  name: string;
}

// scripts/build.js is plain CommonJS, run by npm and bin/giroflee.js before anything is built.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { STEPS, build } = require('../../../scripts/build.js') as {
  STEPS: Step[];
  build(opts: { steps: Step[] }): string[];
};

/**
 * The browser tests run the built app, as `npm start` serves it: the web step of the one build
 * (scripts/build.js) runs when dist/webmail is missing or older than a source, so a test never
 * runs yesterday's front end. That build takes its lock: test files running side by side (and
 * `npm start`) never build into the same folder at once.
 */
export function ensureWebBuild(): string {
  build({ steps: STEPS.filter((s) => s.name === 'web') });
  return webAppDirectory();
}
