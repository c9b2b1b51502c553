// Where a SARIF result points. Code-scanning dashboards resolve `artifactLocation.uri` against a
// base they know: lint's files are relative to the checkout (%SRCROOT%); an audit's pages are
// relative to TARGET, the audited origin, declared once in `run.originalUriBaseIds`. So the same
// finding on the same page keeps the same location whichever host or port a run audited.
import type { SourceLocation } from "./finding.ts";

/** The uriBaseId of an audit's pages; its value (the target's origin) is in originalUriBaseIds. */
export const TARGET_BASE_ID = "TARGET";

/**
 * `https://example.com/` for an http(s) report target (an audit), undefined otherwise (lint).
 *
 * @example targetBase("http://127.0.0.1:5000/app?x") // "http://127.0.0.1:5000/"
 */
export function targetBase(target: string): string | undefined {
  try {
    const url = new URL(target);
    return url.protocol === "http:" || url.protocol === "https:" ? `${url.origin}/` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The result's `locations[0]`: the file (lint), the page (audit), or for an audit finding with
 * no page the target itself, since code-scanning dashboards show no result without a location.
 * Undefined only for a lint finding with no file.
 */
export function locationFor(
  f: { url?: string; location?: SourceLocation },
  base: string | undefined,
): Record<string, unknown> | undefined {
  if (f.location !== undefined) {
    const { file, line, column, endLine, endColumn } = f.location;
    const region: Record<string, number> = {
      startLine: Math.max(1, line),
      startColumn: Math.max(1, column),
    };
    if (endLine !== undefined) region.endLine = Math.max(region.startLine!, endLine);
    if (endColumn !== undefined) region.endColumn = Math.max(1, endColumn);
    return { physicalLocation: { artifactLocation: fileArtifact(file), region } };
  }
  if (f.url !== undefined)
    return { physicalLocation: { artifactLocation: pageArtifact(f.url, base) } };
  if (base !== undefined)
    return { physicalLocation: { artifactLocation: { uri: "./", uriBaseId: TARGET_BASE_ID } } };
  return undefined;
}

/**
 * A page's location relative to the target's origin (`account?tab=2`, `./` for the root), or
 * its absolute URL when it is on another origin.
 */
export function pageArtifact(url: string, base: string | undefined): Record<string, string> {
  if (base === undefined || !url.startsWith(base)) return { uri: url };
  const relative = url.slice(base.length);
  return { uri: relative === "" ? "./" : relative, uriBaseId: TARGET_BASE_ID };
}

// Relative paths are resolved by the consumer against the checkout (%SRCROOT%).
function fileArtifact(file: string): Record<string, string> {
  const uri = file.replaceAll("\\", "/");
  if (uri.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(uri)) {
    return { uri: uri.startsWith("/") ? `file://${encodeURI(uri)}` : uri };
  }
  return { uri: encodeURI(uri.replace(/^\.\//, "")), uriBaseId: "%SRCROOT%" };
}
