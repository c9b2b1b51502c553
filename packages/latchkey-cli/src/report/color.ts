// Whether the terminal report is coloured, and the colouring itself through `util.styleText`.
// The decision is made here rather than left to styleText's own stream check: that check (its
// `stream`/`validateStream` options) is not in every Node 20 the CLI supports, and the rules
// must be the same everywhere: NO_COLOR (any non-empty value, https://no-color.org) turns colour
// off and wins over everything; FORCE_COLOR turns it on (off for "0" or "false"), even when the
// output is a file or a pipe; otherwise colour only on a terminal that has colours.
import { styleText } from "node:util";

type StyleFormat = Parameters<typeof styleText>[0];

/** The part of a stream the decision reads (process.stdout, process.stderr, a tty.WriteStream). */
export interface ColorStream {
  isTTY?: boolean;
  hasColors?: () => boolean;
}

/**
 * True when output to `stream` should carry ANSI colours.
 *
 * @example formatPretty(report, { color: colorEnabled(process.stdout, process.env) })
 */
export function colorEnabled(stream: ColorStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !["0", "false"].includes(force.trim().toLowerCase());
  if (stream.isTTY !== true) return false;
  return typeof stream.hasColors === "function" ? stream.hasColors() : true;
}

/**
 * A painter: `styleText` when `color` is on, the text unchanged when it is off.
 *
 * @example painter(true)(["bold", "red"], "HIGH")
 */
export function painter(color: boolean): (format: StyleFormat, text: string) => string {
  // validateStream: false — whether to colour was decided above; on Node versions without the
  // option, styleText ignores it and colours unconditionally, which is the same thing.
  return color
    ? (format, text) => styleText(format, text, { validateStream: false })
    : (_format, text) => text;
}
