// Types for every operation in src/operations.graphql, from the committed schema: a schema
// change that breaks these operations fails `npm run build` (tsc), and so CI.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.graphql'],
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-operations', 'typed-document-node'],
      config: {
        strictScalars: true,
        // Money is a decimal string in yuan ("38.00"), never a float.
        scalars: { Money: 'string', Date: 'string', DateTime: 'string', Upload: 'unknown' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
