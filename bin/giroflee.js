#!/usr/bin/env node
// giroflee's command line (`npx giroflee`, `npm run giroflee --`, `npm start`). It builds first
// only when the sources changed since the last build (scripts/build.js); otherwise it checks, in
// milliseconds, and runs.
try {
  require('../scripts/build.js').ensureBuilt();
} catch (e) {
  process.stderr.write(`giroflee: ${e.message}\n`);
  process.exit(1);
}
require('../dist/src/cli/main.js')
  .buildProgram(process.argv)
  .then((program) => program.parseAsync(process.argv));
