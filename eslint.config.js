import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries (docs/architecture.md). Each folder of src/ may import only the feature folders
 * listed for it (`common/` is open to all and imports none), and never another folder's repository.
 * Another folder's entity may be named as a type (it is the shape that folder's service hands out)
 * but not imported as a value, which would let the importer query a table it does not own.
 */
const FEATURE_FOLDERS = ['config', 'database', 'health', 'rate-limit', 'logs', 'roles', 'users', 'identities', 'auth', 'housekeeping'];
const ALLOWED_IMPORTS = {
  common: [],
  config: [],
  database: ['config'],
  health: [],
  'rate-limit': ['config'],
  logs: ['config', 'database'],
  roles: ['config', 'database', 'logs'],
  users: ['config', 'database', 'logs', 'rate-limit', 'roles'],
  identities: ['users', 'logs'],
  auth: ['config', 'database', 'logs', 'rate-limit'],
  housekeeping: ['config', 'logs', 'rate-limit'],
};

function boundaryRules(folder, depth) {
  const up = '\\.\\./'.repeat(depth);
  const forbidden = FEATURE_FOLDERS.filter((other) => other !== folder && !ALLOWED_IMPORTS[folder].includes(other));
  const outside = `${up}(?!${folder}/)[^/]+/(?:.+/)?[^/]+`;
  return {
    files: [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...(forbidden.length > 0
              ? [
                  {
                    regex: `^${up}(?:${forbidden.join('|')})/`,
                    message: `src/${folder} may not depend on this module (docs/architecture.md).`,
                  },
                ]
              : []),
            { regex: `^${outside}\\.repository\\.js$`, message: "Another module's repository: call its service instead." },
            {
              regex: `^${outside}\\.entity\\.js$`,
              allowTypeImports: true,
              message: "Another module's entity: import it as a type, or ask its service.",
            },
          ],
        },
      ],
    },
  };
}

const boundaries = Object.keys(ALLOWED_IMPORTS).flatMap((folder) => [1, 2, 3].map((depth) => boundaryRules(folder, depth)));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'bench/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  // Formatting is Prettier's; this only switches off the stylistic rules that would fight it.
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // One-line guard clauses stay brace-free; any body that spans lines needs braces.
      curly: ['error', 'multi-line'],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.spec.ts'],
    rules: { '@typescript-eslint/no-unsafe-member-access': 'off', '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  ...boundaries,
);
