/**
 * Tests that a plugin ties to tests of other files, which one process per file
 * cannot honour: pytest-dependency skips a test whose dependency is in another
 * file (plain pytest runs both), and pytest-order's session-wide marks order
 * only a file's own tests. Each file's process names its own; the run says
 * once what that means. Pure: node ids in, messages out.
 */
import { nameSome, plural } from "../format.js";

/** Node ids named in a message before "and N more". */
const NAMED = 3;

export class LinkedTestTally {
  private readonly byPlugin = new Map<string, Set<string>>();

  add(linked: ReadonlyMap<string, readonly string[]>): void {
    for (const [plugin, tests] of linked) {
      const known = this.byPlugin.get(plugin) ?? new Set<string>();
      for (const test of tests) known.add(test);
      this.byPlugin.set(plugin, known);
    }
  }

  /** What the run says at its end: pytest-dependency's skips as a warning (tests plain pytest runs did not run), pytest-order's as a notice. */
  messages(): { type: "warning" | "notice"; message: string }[] {
    const messages: { type: "warning" | "notice"; message: string }[] = [];
    const dependent = [...(this.byPlugin.get("pytest-dependency") ?? [])];
    if (dependent.length > 0) {
      messages.push({
        type: "warning",
        message:
          `pytest-dependency: ${plural(dependent.length, "test")} ${dependent.length === 1 ? "depends" : "depend"} on tests of other files (scope "session" or "package"), which their file's own process does not run, so pytest-dependency skipped ${dependent.length === 1 ? "it" : "them"}: ${nameSome(dependent, NAMED)}. ` +
          "Plain pytest runs them once their dependencies pass; a run without --parallel (one pytest process) does too",
      });
    }
    const ordered = [...(this.byPlugin.get("pytest-order") ?? [])];
    if (ordered.length > 0) {
      const files = new Set(ordered.map((test) => test.split("::", 1)[0]));
      messages.push({
        type: "notice",
        message:
          `pytest-order: ${plural(ordered.length, "test")} in ${plural(files.size, "file")} ${ordered.length === 1 ? "has an order mark" : "have order marks"} that it applies to the whole session (its default --order-scope=session), and each file's process ordered its own tests only (${nameSome(ordered, NAMED)}). ` +
          "A test that needs another file's to run before or after it does not get that here: a run without --parallel keeps the session's order, and pytest-order's --order-scope=module orders as this run does",
      });
    }
    return messages;
  }
}
