// Opens a file of the linted tree only if it is what it claims to be: a regular file, not a
// symbolic link, of a size worth reading. The tree may be hostile: a `.gitignore` that links to
// /dev/zero reads forever into memory, a FIFO blocks a plain open() until someone writes to it,
// a link can point at any file on the machine. O_NOFOLLOW refuses a link in the last component,
// O_NONBLOCK returns at once for a FIFO, and fstat on the opened descriptor judges the very
// file that will be read (no window between checking a path and opening it).
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/**
 * Largest file read. Session configuration lives in hand-written modules (Django settings,
 * a Flask factory, an Express bootstrap) of a few to a few tens of kilobytes; a source file past
 * a megabyte is generated or vendored code, which configures nothing and would only cost parse
 * time (and memory: the text, then a syntax tree several times its size).
 */
export const MAX_FILE_BYTES = 1024 * 1024;

export type ReadOutcome = { text: string } | { skipped: string };

const FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** The file's text, or why it was not read. Never follows a link, never blocks, never throws. */
export function readRegularFile(path: string, maxBytes = MAX_FILE_BYTES): ReadOutcome {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "EMLINK") return { skipped: "symbolic link (not followed)" };
    return { skipped: `cannot open (${code ?? "error"})` };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { skipped: `not a regular file (${kind(stats)})` };
    if (stats.size > maxBytes) return { skipped: `larger than ${maxBytes} bytes` };
    // Read at most one byte past the cap: a file that grows while being read is still bounded.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buffer.length) break;
    }
    if (length > maxBytes) return { skipped: `larger than ${maxBytes} bytes` };
    return { text: buffer.subarray(0, length).toString("utf8") };
  } catch (error) {
    return { skipped: `cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})` };
  } finally {
    closeSync(fd);
  }
}

function kind(stats: import("node:fs").Stats): string {
  if (stats.isFIFO()) return "FIFO";
  if (stats.isSocket()) return "socket";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "device";
  if (stats.isDirectory()) return "directory";
  return "special file";
}
