/**
 * Groups of files that must not run at the same time (pytest-xdist's
 * xdist_group marks): a batch takes every group it holds at once, or waits
 * until none of them is taken. Taking them all or none never deadlocks.
 */
export class GroupLocks {
  private readonly taken = new Set<string>();
  private waiting: (() => void)[] = [];

  async take(groups: readonly string[]): Promise<void> {
    while (groups.some((group) => this.taken.has(group))) await new Promise<void>((resolve) => this.waiting.push(resolve));
    for (const group of groups) this.taken.add(group);
  }

  give(groups: readonly string[]): void {
    for (const group of groups) this.taken.delete(group);
    const woken = this.waiting;
    this.waiting = [];
    for (const wake of woken) wake();
  }
}
