// Load-generator options as the command line would parse them, aimed at a test server.
import { parseLoadArgs, type LoadOptions } from '../../loadtest/options.js';

export function loadOptions(wsUrl: string, argv: string[]): LoadOptions {
  const parsed = parseLoadArgs(['--url', wsUrl, ...argv]);
  if (!parsed.ok) throw new Error(parsed.help ? 'help' : parsed.error);
  return parsed.options;
}
