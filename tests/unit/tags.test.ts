import { describe, expect, it } from "vitest";
import { assignTags } from "../../src/report/tags.js";

describe("output tags", () => {
  it("names a file by what is left of it without test_ and .py", () => {
    const tags = assignTags(["tests/e2e/test_login.py", "tests/http/orders_test.py", "tests/http/checks.py"]);
    expect([...tags.values()]).toEqual(["login", "orders", "checks"]);
  });

  it("adds the parent folders that tell two files apart, and only to them", () => {
    const tags = assignTags(["tests/e2e/test_login.py", "tests/http/test_login.py", "tests/http/test_cart.py"]);
    expect(tags.get("tests/e2e/test_login.py")).toBe("e2e/login");
    expect(tags.get("tests/http/test_login.py")).toBe("http/login");
    expect(tags.get("tests/http/test_cart.py")).toBe("cart");
  });

  it("keeps tags unique and within the width, however long the names", () => {
    const paths = Array.from({ length: 30 }, (_, i) => `tests/http/test_a_really_long_module_name_number_${i % 3}_${i}.py`);
    const tags = [...assignTags(paths, 12).values()];
    expect(new Set(tags).size).toBe(paths.length);
    expect(tags.every((t) => t.length <= 12)).toBe(true);
  });

  it("does not shorten a file called test_.py to nothing", () => {
    expect(assignTags(["tests/test_.py"]).get("tests/test_.py")).toBe("test_");
  });
});
