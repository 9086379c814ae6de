/**
 * Whether pytest is there at all: found out once, before any test starts (or
 * after a run whose processes never got to pytest), so that a missing pytest
 * is one clear message and not a failure per file.
 */
import { PYTHON_CHECK_TIMEOUT_SECONDS } from "./defaults.js";
import { UsageError } from "./errors.js";
import { capture } from "./process/capture.js";
import { describePython, isExecutable, pythonOrigin, viaUv, type PythonCommand } from "./python.js";

/** The oldest Python grimoire-run's pytest plugin runs on; the fork server needs FORK_SERVER_PYTHON (python/grimoire_run_forkserver.py says so itself). */
export const MIN_PYTHON = [3, 7] as const;
export const FORK_SERVER_PYTHON = [3, 8] as const;

/** How the Python was chosen, under an error about it: no option of grimoire-run's is wrong but --python. */
const PYTHON_SEE = "grimoire-run runs the project's .venv or venv Python (in its folder, or one above it in its git repository), `uv run python` where the project uses uv, else python3; --python chooses another.";

/**
 * Checks that pytest can be imported, and resolves a `uv run python` to the
 * project's own interpreter so that each file does not pay for `uv run` again.
 */
export async function checkPytest(python: PythonCommand, root: string, env: NodeJS.ProcessEnv): Promise<PythonCommand> {
  // Written for any Python, 2 included: one too old for grimoire-run's plugin is told so (exit 4), not sent to install pytest.
  const probe = `import sys; print(sys.executable); print('.'.join(map(str, sys.version_info[:3]))); sys.exit(4) if sys.version_info < (${MIN_PYTHON.join(", ")}) else None; import importlib.util as u; sys.exit(0 if u.find_spec('pytest') else 3)`;
  const result = await capture(python.command, [...python.args, "-c", probe], { cwd: root, env, timeoutMs: PYTHON_CHECK_TIMEOUT_SECONDS * 1000 });
  const shown = describePython(python);
  const how = python.source === "default" ? "" : ` (${pythonOrigin(python)})`;
  if (result.error !== null) {
    throw new UsageError(
      `cannot run Python: ${shown}${how}: ${result.error}. Install Python 3, or pass --python with the interpreter of your project (for example --python .venv/bin/python).`,
      PYTHON_SEE,
    );
  }
  if (result.code === 4) {
    const version = result.stdout.trim().split("\n")[1] ?? "older";
    throw new UsageError(
      `${shown}${how} is Python ${version}: grimoire-run's pytest plugin needs Python ${MIN_PYTHON.join(".")} or newer (its fork server ${FORK_SERVER_PYTHON.join(".")} or newer). Pass --python with a newer interpreter.`,
      PYTHON_SEE,
    );
  }
  if (result.code === 3) {
    throw new UsageError(
      `pytest is not installed for ${shown}${how}. Install it with: ${shown} -m pip install pytest` +
        " — or pass --python with the interpreter that has it.",
      PYTHON_SEE,
    );
  }
  if (result.code !== 0) {
    const detail = result.stderr.trim().split("\n").slice(-3).join("\n");
    throw new UsageError(`${shown}${how} failed (exit ${String(result.code)}) while checking for pytest:\n${detail}`, PYTHON_SEE);
  }
  const executable = result.stdout.trim().split("\n")[0];
  if (viaUv(python) && executable !== undefined && isExecutable(executable)) {
    return { command: executable, args: [], source: python.source };
  }
  return python;
}
