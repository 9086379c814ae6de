/**
 * What a run says where pytest refused what it was given before collecting (its usage error): pytest's own lines, and
 * what to look at. Pure: pytest's printed lines in, the error out.
 */
import { describe, expect, it } from "vitest";
import { refusedBeforeCollecting } from "../../src/discovery/askPytest.js";

const python = { command: "python3", args: [], source: "default" };

describe("pytest's refusal before collecting", () => {
  it("shows pytest's lines without its blank ones or its ruled lines (graphql-core's trial: an indented nothing)", () => {
    const printed = ["", "============================ no tests ran in 0.03s =============================", "ERROR: file or directory not found: tests/language/test_parsr.py", ""];
    const error = refusedBeforeCollecting("/project", "exit code 4", printed, true, python);
    expect(error.message).toBe("pytest could not collect the tests (exit code 4):\n  ERROR: file or directory not found: tests/language/test_parsr.py");
  });

  it("says a node id that names no test as such, from pytest's ERROR on, with how to list node ids (unidecode's trial)", () => {
    const printed = ["platform linux -- Python 3.11.7, pytest-9.0.3, pluggy-1.6.0", "rootdir: /project", "collected 0 items", "", "ERROR: not found: /project/tests/test_u.py::T::test_nope", "(no match in any of [<UnitTestCase T>])"];
    const error = refusedBeforeCollecting("/project", "exit code 4", printed, true, python);
    expect(error.message).toBe("pytest found no test by a node id it was given (exit code 4):\n  ERROR: not found: /project/tests/test_u.py::T::test_nope\n  (no match in any of [<UnitTestCase T>])");
    expect(error.see).toMatch(/pytest --collect-only -q FILE/);
  });
});
