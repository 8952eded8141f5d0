/** What a child process prints, line by line: the last lines kept for the error when it fails. */
import type { ChildProcess } from 'node:child_process';

/**
 * Reads the child's stdout and stderr as lines (blank ones dropped), hands each to `onLine`, and keeps
 * the last `limit` in the array returned, which stays current as the child prints.
 */
export function outputTail(child: ChildProcess, limit: number, onLine?: (line: string) => void): string[] {
  const tail: string[] = [];
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > limit) tail.shift();
      onLine?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return tail;
}
