// cli/ is the top of the import graph: nothing imports it except its own entry point.
export { main, buildProgram } from './main.ts';
export { CliError, printStructured, formatTable, parseOutputFormat } from './output.ts';
export type { OutputFormat } from './output.ts';
