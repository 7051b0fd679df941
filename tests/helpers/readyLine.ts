// Waits for a child process to print the line that says it is ready, keeping every line
// it prints (for the test's error messages). Kills it if the line does not come in time.
import type { ChildProcess } from 'node:child_process';

export function readyLine(child: ChildProcess, isReady: (line: string) => boolean, logs: string[], timeoutMs: number, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${logs.join('\n')}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        logs.push(line);
        if (isReady(line)) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${logs.join('\n')}`));
    });
  });
}
