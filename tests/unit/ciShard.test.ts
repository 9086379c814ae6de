/**
 * `--shard auto`: the part a parallel CI job is, read from the CI service's
 * own variables, or a clear refusal (exit 2) when there are none.
 */
import { describe, expect, it } from "vitest";
import { PARALLEL_JOB_VARIABLES, shardFromCi } from "../../src/config/ci.js";
import { resolveConfig } from "../../src/config/runConfig.js";
import { UsageError } from "../../src/errors.js";

describe("--shard auto", () => {
  it.each([
    [{ CI_NODE_INDEX: "2", CI_NODE_TOTAL: "4" }, 2, 4, "GitLab CI"],
    [{ CIRCLE_NODE_INDEX: "0", CIRCLE_NODE_TOTAL: "3" }, 1, 3, "CircleCI"],
    [{ BUILDKITE_PARALLEL_JOB: "4", BUILDKITE_PARALLEL_JOB_COUNT: "5" }, 5, 5, "Buildkite"],
    [{ BITBUCKET_PARALLEL_STEP: "1", BITBUCKET_PARALLEL_STEP_COUNT: "2" }, 2, 2, "Bitbucket Pipelines"],
    [{ SYSTEM_JOBPOSITIONINPHASE: "3", SYSTEM_TOTALJOBSINPHASE: "3" }, 3, 3, "Azure Pipelines"],
    [{ SEMAPHORE_JOB_INDEX: "1", SEMAPHORE_JOB_COUNT: "6" }, 1, 6, "Semaphore"],
  ])("reads %o as part %i of %i (%s), counting from where the service counts", (env, index, count, service) => {
    const shard = shardFromCi(env);
    expect(shard).toMatchObject({ index, count });
    expect(shard.source).toContain(service);
  });

  it("takes a service only when it gives both its index and its total (GitLab sets CI_NODE_TOTAL=1 on jobs without parallel:)", () => {
    expect(() => shardFromCi({ CI_NODE_TOTAL: "1", GITLAB_CI: "true" })).toThrow(UsageError);
    expect(shardFromCi({ CI_NODE_TOTAL: "1", CIRCLE_NODE_INDEX: "1", CIRCLE_NODE_TOTAL: "2" })).toMatchObject({ index: 2, count: 2 });
    expect(() => shardFromCi({ CI_NODE_TOTAL: "1" })).toThrow(/this job is not one of a CI service's parallel jobs/);
    // An index without its total says so, not that none is set (a helper's trial).
    expect(() => shardFromCi({ CI_NODE_INDEX: "2" })).toThrow("--shard auto: GitLab CI's CI_NODE_INDEX=2 is set, but not CI_NODE_TOTAL: a part needs both (or give it as --shard I/N)");
  });

  it("refuses, naming what it looked for and the GitHub matrix way, when no service says", () => {
    const error = (() => {
      try {
        shardFromCi({ GITHUB_ACTIONS: "true", CI: "true" });
      } catch (caught) {
        return caught as Error;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(UsageError);
    for (const vars of PARALLEL_JOB_VARIABLES) expect(error?.message).toContain(vars.index);
    expect(error?.message).toMatch(/GitHub Actions has no such variables: use a matrix and --shard \$\{\{ matrix\.shard \}\}\/N/);
  });

  it.each([
    [{ CI_NODE_INDEX: "0", CI_NODE_TOTAL: "4" }],
    [{ CI_NODE_INDEX: "5", CI_NODE_TOTAL: "4" }],
    [{ CIRCLE_NODE_INDEX: "3", CIRCLE_NODE_TOTAL: "3" }],
    [{ CI_NODE_INDEX: "two", CI_NODE_TOTAL: "4" }],
    [{ CI_NODE_INDEX: "1", CI_NODE_TOTAL: "0" }],
  ])("refuses values that name no part: %o", (env) => {
    expect(() => shardFromCi(env)).toThrow(/--shard auto: .* do not name a part/);
  });

  it("is what --shard auto resolves to, the source kept for the notice", () => {
    const config = resolveConfig({ values: { parallel: true, shard: "auto" }, paths: [], pytestArgs: [] }, "/project", { CI_NODE_INDEX: "3", CI_NODE_TOTAL: "3" });
    expect(config.shard).toEqual({ index: 3, count: 3, source: "GitLab CI's CI_NODE_INDEX=3 and CI_NODE_TOTAL=3" });
    expect(() => resolveConfig({ values: { shard: "auto" }, paths: [], pytestArgs: [] }, "/project", {})).toThrow(/--shard auto: this job is not one of a CI service's parallel jobs/);
  });
});
