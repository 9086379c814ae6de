import { describe, expect, it } from "vitest";
import { assignTags, packTag, partTag } from "../../src/report/tags.js";

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

  it("shortens a long tag in its middle: the folders that tell files of one name apart stay in it", () => {
    const paths = ["tests/backends/postgresql/test_connection_pool.py", "tests/backends/mysql/test_connection_pool.py"];
    const tags = assignTags(paths, 18);
    expect(tags.get(paths[0] as string)).toBe("postgres…tion_pool");
    expect(tags.get(paths[1] as string)).toBe("mysql/co…tion_pool");
  });

  it("names a package's __init__.py by its package too: every package has one", () => {
    const tags = assignTags(["src/shop/__init__.py", "src/shop/cart/__init__.py", "__init__.py", "tests/test_cart.py"]);
    expect([...tags.values()]).toEqual(["shop/__init__", "cart/__init__", "__init__", "cart"]);
  });

  it("does not shorten a file called test_.py to nothing", () => {
    expect(assignTags(["tests/test_.py"]).get("tests/test_.py")).toBe("test_");
  });

  it("fits a pack's tag, its first file's and the count of the others, in the width of the single files' tags", () => {
    expect(packTag("cart", 3, 18)).toBe("cart+3");
    expect(packTag("add_option_backtrace", 15, 18)).toBe("add_opt…cktrace+15");
    expect(packTag("add_option_backtrace", 15, 18)).toHaveLength(18);
    // No room for the count and a letter: as it is.
    expect(packTag("cart", 3, 3)).toBe("cart+3");
  });

  it("tells a split file's parts apart by their numbers, in the same width (pytest-aiohttp's trial)", () => {
    expect(partTag("switch_mode", 0, 18)).toBe("switch_mode#1");
    expect(partTag("add_option_backtrace", 1, 18)).toBe("add_opt…acktrace#2");
    expect(partTag("add_option_backtrace", 1, 18)).toHaveLength(18);
  });
});
