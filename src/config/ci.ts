/**
 * What grimoire-run reads from the CI service it runs in: whether this is a
 * CI run at all, and, for `--shard auto`, which part of a parallel job this
 * is. Pure: an environment in, plain data out.
 */
import { UsageError } from "../errors.js";
import type { ShardSpec } from "../plan/shard.js";

/** Whether this is a CI run: the `CI` variable every CI service sets, unless it says false. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env["CI"];
  return ci !== undefined && ci !== "" && ci !== "0" && ci !== "false";
}

/** A CI service's own pair of variables for a job's place among its parallel copies. */
export interface ParallelJobVariables {
  service: string;
  index: string;
  total: string;
  /** Whether the service counts its jobs from 0 or from 1. */
  firstIndex: 0 | 1;
}

/**
 * The services that give a parallel job its index and total, in the order
 * they are looked for. Each is set only in jobs the service runs in
 * parallel (GitLab sets CI_NODE_TOTAL=1 on every other job, but never
 * CI_NODE_INDEX). GitHub Actions has no such pair: a matrix names the part
 * (`--shard ${{ matrix.shard }}/4`).
 */
export const PARALLEL_JOB_VARIABLES: readonly ParallelJobVariables[] = [
  // `parallel: N` (docs.gitlab.com, the `parallel` keyword): 1 to N.
  { service: "GitLab CI", index: "CI_NODE_INDEX", total: "CI_NODE_TOTAL", firstIndex: 1 },
  // `parallelism: N` (circleci.com, test splitting): 0 to N-1.
  { service: "CircleCI", index: "CIRCLE_NODE_INDEX", total: "CIRCLE_NODE_TOTAL", firstIndex: 0 },
  // `parallelism: N` on a command step (buildkite.com, environment variables): 0 to N-1.
  { service: "Buildkite", index: "BUILDKITE_PARALLEL_JOB", total: "BUILDKITE_PARALLEL_JOB_COUNT", firstIndex: 0 },
  // A `parallel:` group of steps (Bitbucket Pipelines, parallel steps): 0 to N-1.
  { service: "Bitbucket Pipelines", index: "BITBUCKET_PARALLEL_STEP", total: "BITBUCKET_PARALLEL_STEP_COUNT", firstIndex: 0 },
  // `strategy: parallel: N` (Azure Pipelines, System.JobPositionInPhase): 1 to N.
  { service: "Azure Pipelines", index: "SYSTEM_JOBPOSITIONINPHASE", total: "SYSTEM_TOTALJOBSINPHASE", firstIndex: 1 },
  // `parallelism: N` (Semaphore, SEMAPHORE_JOB_INDEX): 1 to N.
  { service: "Semaphore", index: "SEMAPHORE_JOB_INDEX", total: "SEMAPHORE_JOB_COUNT", firstIndex: 1 },
];

/** `--shard auto`'s answer: the part, and which variables said so. */
export interface CiShard extends ShardSpec {
  source: string;
}

/**
 * The part of a parallel CI job this run is, from the CI service's own
 * variables: the first service whose index and total are both set. None
 * set, or values that are not a valid part, is bad usage (exit 2), never a
 * guess: a wrong guess runs the whole suite in every job, or none of it.
 */
export function shardFromCi(env: NodeJS.ProcessEnv, flag = "--shard"): CiShard {
  for (const vars of PARALLEL_JOB_VARIABLES) {
    const index = env[vars.index];
    const total = env[vars.total];
    if (!isSet(index) || !isSet(total)) continue;
    const source = `${vars.service}'s ${vars.index}=${index} and ${vars.total}=${total}`;
    const count = /^\d+$/.test(total.trim()) ? Number(total) : NaN;
    const position = /^\d+$/.test(index.trim()) ? Number(index) - vars.firstIndex + 1 : NaN;
    if (!Number.isInteger(count) || !Number.isInteger(position) || count < 1 || position < 1 || position > count) {
      throw new UsageError(`${flag} auto: ${source} do not name a part (${vars.index} counts from ${vars.firstIndex}, up to ${vars.total}${vars.firstIndex === 0 ? " - 1" : ""})`);
    }
    return { index: position, count, source };
  }
  // An index without its total is said as it is: "none … is set" read as wrong where CI_NODE_INDEX was (a helper's
  // trial). A total alone is GitLab's every job that is not parallel (CI_NODE_TOTAL=1): not one of parallel jobs.
  const half = PARALLEL_JOB_VARIABLES.find((v) => isSet(env[v.index]) && !isSet(env[v.total]));
  if (half !== undefined) {
    throw new UsageError(`${flag} auto: ${half.service}'s ${half.index}=${String(env[half.index])} is set, but not ${half.total}: a part needs both (or give it as --shard I/N)`);
  }
  const looked = PARALLEL_JOB_VARIABLES.map((v) => `${v.index}/${v.total} (${v.service})`).join(", ");
  throw new UsageError(
    `${flag} auto: this job is not one of a CI service's parallel jobs: none of ${looked} is set. ` +
      `GitHub Actions has no such variables: use a matrix and --shard \${{ matrix.shard }}/N (see docs/ci.md). Elsewhere, give the part as --shard I/N.`,
  );
}

/** A CI variable that is set, and not to nothing. */
function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}
