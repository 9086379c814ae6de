/** Whether this is a CI run: the `CI` variable every CI service sets, unless it says false. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env["CI"];
  return ci !== undefined && ci !== "" && ci !== "0" && ci !== "false";
}
