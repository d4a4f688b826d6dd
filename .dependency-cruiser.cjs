/**
 * The layering of src/ (docs/architecture.md, "Layers"), checked by `npm run lint`:
 *
 *   base (names, errors, logger, config, per-config, db, system, metrics, smtp)
 *     → core (auth, encryption)
 *       → resources (audit, accounts, collectives, domains, aliases, mailboxes, dns, relay,
 *         notify, alerts, monitoring, retention, backup, mailstack, mail, health, startup,
 *         app-passwords, autoconfig, sieve, quota, sending)
 *         → entry points (api, cli, serve.ts)
 *
 * A module imports its own layer or those below it, never above, and nothing forms a cycle.
 * src/context.ts and src/component.ts hold types only, so every layer may use them.
 */
const BASE =
  '^src/(names/|db/|system/|metrics/|smtp/|errors[.]ts$|logger[.]ts$|config[.]ts$|per-config[.]ts$)';
const TYPES = '^src/(context|component)[.]ts$';
const CORE = '^src/(auth|encryption)/';
const RESOURCES =
  '^src/(audit|accounts|collectives|domains|aliases|mailboxes|dns|relay|notify|alerts|monitoring|retention|backup|mailstack|mail|health|startup|app-passwords|autoconfig|sieve|quota|sending)/';
const ENTRY = '^src/(api/|cli/|serve[.]ts$)';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle ties modules that should stand apart; move the shared part below both.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'base-stands-alone',
      comment: 'names, errors, logger, config, db, system, metrics and smtp import nothing else of giroflee.',
      severity: 'error',
      from: { path: BASE },
      to: { path: '^src/', pathNot: BASE },
    },
    {
      name: 'types-only-hub',
      comment: 'context.ts and component.ts describe; they import types only.',
      severity: 'error',
      from: { path: TYPES },
      to: { path: '^src/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-below-resources',
      comment: 'auth and encryption know nothing of the resources built on them.',
      severity: 'error',
      from: { path: CORE },
      to: { path: `${RESOURCES}|${ENTRY}` },
    },
    {
      name: 'encryption-below-auth',
      comment: 'auth wraps its secrets with encryption/envelope; encryption never needs auth.',
      severity: 'error',
      from: { path: '^src/encryption/' },
      to: { path: '^src/auth/' },
    },
    {
      name: 'resources-below-entry-points',
      comment: 'Services and commands are called by the API, the CLI and serve.ts, never the reverse.',
      severity: 'error',
      from: { path: RESOURCES },
      to: { path: ENTRY },
    },
    {
      name: 'routes-hold-no-database',
      comment: 'A route parses, loads through findXForActor, calls a command and presents: no database.',
      severity: 'error',
      from: { path: '^src/api/routes/' },
      to: { path: '^src/db/|^node_modules/(knex|pg)/' },
    },
    {
      name: 'api-holds-no-database',
      comment:
        'The API layer gets transactions from defineRoute and error mapping from db/pg-errors, nothing else.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/db/|^node_modules/(knex|pg)/', pathNot: '^src/db/(transaction|pg-errors)[.]ts$' },
    },
    {
      name: 'cli-holds-no-database',
      comment:
        'The CLI opens and migrates the database, then calls the same services and commands as the API.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: {
        path: '^src/db/|^node_modules/(knex|pg)/',
        pathNot: '^src/db/(open-database|knex|transaction|pg-errors)[.]ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'api-and-cli-apart',
      comment: 'The API and the CLI share services and commands, not each other.',
      severity: 'error',
      from: { path: '^src/(api|cli)/' },
      to: { path: '^src/(api|cli)/', pathNot: '^src/$1/' },
    },
  ],
  options: {
    includeOnly: '^src/|^node_modules/(knex|pg)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '[.]json$' },
  },
};
