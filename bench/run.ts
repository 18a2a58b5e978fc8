/**
 * `npm run bench`: the benchmark suite in one run (see bench/suite/options.ts, or --help), with
 * a live progress line on stderr. Writes report.md, report.json and one SVG per figure to
 * bench/results/ (or --out), prints the report, and exits 2 on a bad command line.
 */

import { readFileSync } from 'node:fs';
import { HELP, parseOptions, UsageError } from './suite/options.js';
import { ConsoleProgress } from './suite/progress.js';
import { runSuite, stepCount, writeReport } from './suite/run-suite.js';

const argv = process.argv.slice(2);
let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(argv);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(HELP);
} else {
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const progress = new ConsoleProgress(stepCount(options));
  try {
    const report = await runSuite(options, progress, command);
    progress.close();
    const written = writeReport(report, options);
    // report.md as written: the figures a reader of the files sees
    const md = written.find((path) => path.endsWith('report.md'));
    if (md !== undefined) process.stdout.write(`\n${readFileSync(md, 'utf8')}\n`);
    process.stdout.write(`Written: ${written.join(', ')}\n`);
  } finally {
    progress.close();
  }
}
