// The command line: `rtc-loadtest --url ws://127.0.0.1:8080/ws --scenario fanout ...`.
// Progress goes to stderr (one line rewritten in place on a terminal, plain lines
// otherwise); the report goes to stdout as a table, or as JSON with --json.
// Exit codes: 0 clean run, 1 errors, lost fan-out messages or failed media (loss above 1 %,
// a peer that never connected, a stream that never arrived; or the run failed), 2 bad
// arguments, 130 interrupted.
import { HELP, optionWarnings, parseLoadArgs } from './options.js';
import { formatProgress, formatReport } from './report.js';
import { runLoad } from './run.js';

async function main(): Promise<number> {
  const parsed = parseLoadArgs(process.argv.slice(2));
  if (!parsed.ok) {
    if (parsed.help) {
      process.stdout.write(HELP);
      return 0;
    }
    process.stderr.write(`rtc-loadtest: ${parsed.error.split('\n').join('\nrtc-loadtest: ')}\n(--help lists the options)\n`);
    return 2;
  }
  const options = parsed.options;
  for (const w of optionWarnings(options)) process.stderr.write(`rtc-loadtest: warning: ${w}\n`);

  const abort = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    // First Ctrl-C: stop, close every socket, print what was measured. Second: leave now.
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nrtc-loadtest: interrupted, closing sockets (Ctrl-C again to quit at once)\n');
    abort.abort();
  });
  process.on('SIGTERM', () => abort.abort());

  const tty = process.stderr.isTTY === true;
  let drawn = false;
  const report = await runLoad(options, {
    signal: abort.signal,
    onProgress: options.quiet
      ? undefined
      : (p) => {
          const line = formatProgress(p);
          if (tty) {
            process.stderr.write(`\r${line}\x1b[K`);
            drawn = true;
          } else {
            process.stderr.write(`${line}\n`);
          }
        },
  });
  if (drawn) process.stderr.write('\n');
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  if (report.interrupted) return 130;
  const lost = report.fanout.missing + report.fanout.mismatched;
  const mediaFailed = report.media !== null && !report.media.ok;
  return report.errors.total > 0 || lost > 0 || mediaFailed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`rtc-loadtest: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
