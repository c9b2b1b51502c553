// python3 with the packages a test needs. A fresh machine may lack the pip packages: install
// them once (quietly, from the configured index) when an import fails. Returns why not, when
// that is impossible, so the caller can skip loudly (test/helpers/service.ts).
import { spawnSync } from "node:child_process";

export type PythonStatus = { ok: true } | { ok: false; reason: string };

const cache = new Map<string, PythonStatus>();

/**
 * @param modules import name → pip requirement, e.g. { flask: "flask", flask_session: "flask-session" }
 * @example const py = ensurePython({ flask: "flask" }); if (!py.ok) return skipOrFail(t, py.reason);
 */
export function ensurePython(modules: Record<string, string>): PythonStatus {
  const key = Object.keys(modules).sort().join(",");
  const known = cache.get(key);
  if (known !== undefined) return known;
  const status = check(modules);
  cache.set(key, status);
  return status;
}

function check(modules: Record<string, string>): PythonStatus {
  const missing = () =>
    Object.keys(modules).filter(
      (m) => spawnSync("python3", ["-c", `import ${m}`], { stdio: "ignore" }).status !== 0,
    );
  const probe = spawnSync("python3", ["--version"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0)
    return { ok: false, reason: "python3 not found" };
  let absent = missing();
  if (absent.length === 0) return { ok: true };
  const install = spawnSync(
    "python3",
    ["-m", "pip", "install", "--quiet", ...absent.map((m) => modules[m]!)],
    { encoding: "utf8", timeout: 180_000 },
  );
  absent = missing();
  if (absent.length === 0) return { ok: true };
  const why = (install.stderr ?? "").trim().split("\n").slice(-1)[0] ?? "";
  return { ok: false, reason: `python3 modules missing (${absent.join(", ")}); pip: ${why}` };
}
