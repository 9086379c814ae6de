/** The run's id: in every process's environment (GRIMOIRE_RUN_ID), and the name of its log folder. */
import crypto from "node:crypto";

/** Sortable by time, unique across concurrent runs. */
export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${crypto.randomBytes(3).toString("hex")}`;
}
