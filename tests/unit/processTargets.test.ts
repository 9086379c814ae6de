import { describe, expect, it } from "vitest";
import { targetsOf } from "../../src/exec/pytestCommand.js";
import type { TestFile } from "../../src/model.js";

const found = (file: string, folder: string): TestFile => ({ path: file, named: null, folder, kind: "tests" });

describe("a process's collection arguments", () => {
  it("are the folders its files were found in, limited to the files", () => {
    expect(targetsOf([found("tests/http/test_a.py", "tests/http")], "/p")).toEqual({ args: ["tests/http"], subset: null, only: ["/p/tests/http/test_a.py"] });
  });

  it("also reach each session-wide conftest its folders do not, as a plain run over every folder does", () => {
    const targets = targetsOf([found("tests/http/test_a.py", "tests/http")], "/p", ["/p/tests/e2e/flows", "/p/tests/http/sub", "/p"]);
    expect(targets.args).toEqual(["tests/http", "tests/e2e/flows"]);
    expect(targets.only).toEqual(["/p/tests/http/test_a.py"]);
  });

  it("leave a process of named paths as named: a plain run of them walks nothing else", () => {
    const named: TestFile = { path: "tests/http/test_a.py", named: ["tests/http/test_a.py"], folder: null, kind: "tests" };
    expect(targetsOf([named], "/p", ["/p/tests/e2e/flows"]).args).toEqual(["tests/http/test_a.py"]);
  });

  it("let a named file through the limit of a folder beside it (a --pack of `tests/sub tests/test_c.py`)", () => {
    const named: TestFile = { path: "tests/test_c.py", named: ["tests/test_c.py::test_c"], folder: null, kind: "tests" };
    const targets = targetsOf([found("tests/sub/test_a.py", "tests/sub"), named], "/p");
    expect(targets.args).toEqual(["tests/sub", "tests/test_c.py::test_c"]);
    expect(targets.only).toEqual(["/p/tests/sub/test_a.py", "/p/tests/test_c.py"]);
  });
});
