/** The `threadline` command line: release, validate, grade, autograde, feedback, manual, export. */
import fs from 'node:fs';
import { KernelError } from '../../kernel/errors.js';
import { AssignmentError, InvalidNotebookError, UsageError } from '../engine/errors.js';
import { ManualGradeError } from '../engine/gradebook.js';
import { GradebookVersionError } from '../engine/gradebookSchema.js';
import { NbgraderBridgeError } from '../nbgrader/nbgraderBridge.js';

/** The version of the npm package this CLI was installed from (src/ and lib/ both sit three levels below it). */
function packageVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

type Command = { summary: string; run: (argv: string[]) => Promise<number> };

const commands: Record<string, Command> = {
  release: {
    summary: 'write student versions of instructor sources',
    run: async argv => (await import('./release.js')).releaseCommand(argv)
  },
  validate: {
    summary: 'run a notebook and report each exercise pass/fail',
    run: async argv => (await import('./validate.js')).validateCommand(argv)
  },
  grade: {
    summary: 'autograde submissions into a SQLite gradebook',
    run: async argv => (await import('./grade.js')).gradeCommand(argv)
  },
  autograde: {
    summary: 'autograde an nbgrader course into its gradebook (as nbgrader autograde)',
    run: async argv => (await import('./autograde.js')).autogradeCommand(argv)
  },
  feedback: {
    summary: 'write per-student HTML feedback from a gradebook',
    run: async argv => (await import('./feedback.js')).feedbackCommand(argv)
  },
  manual: {
    summary: 'grade a cell by hand (points and a comment) in the gradebook',
    run: async argv => (await import('./manual.js')).manualCommand(argv)
  },
  export: {
    summary: 'export a gradebook as CSV (per exercise, or one row per assignment for an LMS)',
    run: async argv => (await import('./export.js')).exportCommand(argv)
  }
};

const mainHelp = `usage: threadline COMMAND [options]   (threadline COMMAND --help for details)

commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(11)}${command.summary}`)
  .join('\n')}

exit codes: 0 success, 1 failing exercises / submissions not graded ok / invalid input, \
2 wrong usage, 3 the grader itself failed`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainHelp);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    console.log(packageVersion());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`threadline: unknown command "${name}"\n\n${mainHelp}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      const command = error.command ?? name;
      console.error(`threadline ${command}: ${error.message}\nrun \`threadline ${command} --help\` for usage`);
      return 2;
    }
    if (
      error instanceof InvalidNotebookError ||
      error instanceof AssignmentError ||
      error instanceof KernelError ||
      error instanceof NbgraderBridgeError ||
      error instanceof ManualGradeError ||
      error instanceof GradebookVersionError
    ) {
      console.error(`threadline ${name}: ${error.message}`);
      return 1;
    }
    console.error(`threadline ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 3;
  }
}

const isEntry = process.argv[1] !== undefined && /threadline(\.js)?$|cli\.[jt]s$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    code => {
      process.exitCode = code;
    },
    error => {
      console.error(error);
      process.exitCode = 3;
    }
  );
}
