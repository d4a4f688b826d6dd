import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// One clock (docs/architecture.md, "One clock"): the database's own where the injected one exists
// would let tests and rows disagree about time. Migrations and column defaults may keep now().
const ONE_CLOCK = [
  {
    selector: "MemberExpression[property.name='now'][object.property.name='fn']",
    message: 'Use the injected clock, ctx.now(), not the database clock (docs/architecture.md, "One clock").',
  },
  {
    selector: 'Literal[value=/\\bnow\\(\\)/i], TemplateElement[value.raw=/\\bnow\\(\\)/i]',
    message:
      'Pass ctx.now() as a parameter rather than calling SQL now() (docs/architecture.md, "One clock").',
  },
];

// Routes, CLI commands and commands hold no SQL: they call the table owner's service
// (docs/architecture.md, "One owner per table"). The import side is checked by dependency-cruiser.
const NO_SQL = [
  {
    selector: "CallExpression[callee.property.name='db'], CallExpression[callee.name=/^(db|trx|knex)$/]",
    message:
      'No query here: call the service that owns the table (docs/architecture.md, "One owner per table").',
  },
  {
    selector: "CallExpression[callee.property.name='raw']",
    message:
      'No SQL here: call the service that owns the table (docs/architecture.md, "One owner per table").',
  },
  {
    selector: "MemberExpression[property.name='transaction'][object.property.name='db']",
    message:
      'Routes get their transaction from defineRoute, the CLI from inTransaction() (docs/architecture.md, "Transactions").',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'bench/.work/', 'src/api/static/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...ONE_CLOCK] },
  },
  {
    files: ['src/api/**/*.ts', 'src/cli/**/*.ts', 'src/*/commands/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...ONE_CLOCK, ...NO_SQL] },
  },
  {
    // Tests read loosely typed JSON responses.
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
