"""Coverage of a whole grimoire-run run: the data of its pytest processes combined and reported once.

grimoire-run runs every pytest process with its own coverage data file
(COVERAGE_FILE), and pytest-cov in each only measures: grimoire_run_pytest
takes its report and its --cov-fail-under verdict away. At the end of the run
grimoire-run starts `python -m grimoire_run_coverage REQUEST RESULT`, and this
module does what pytest-cov does at the end of one pytest run over the same
tests: the data combined into the project's data file (`.coverage`, or what
COVERAGE_FILE and the coverage configuration say), the requested reports
(--cov-report: term, term-missing, html, xml, json, lcov, markdown, annotate)
written and printed the way pytest-cov writes and prints them, and the total
judged against --cov-fail-under (or the configuration's fail_under).

Its one job is that the combined result reads as pytest-cov's would: the
same totals, the same table, the same files, the same verdict. It never runs a
test and never decides the run's exit code: it says the total and whether it
fell short, and grimoire-run decides.

REQUEST (JSON): {"settings": <what the listing session read of pytest-cov's
options>, "dataFiles": [...], "keep": bool, "testsFailed": bool, "judge":
bool}. RESULT
(JSON, written before exiting 0): {"total", "precision", "failUnder",
"failed", "reported", "dataFile", "warning"}. Exit 3 when coverage cannot be
imported.
"""

import io
import json
import os
import shutil
import sys

_NO_COVERAGE_EXIT = 3


class _Nowhere:
    @staticmethod
    def write(_text):
        pass


def _width():
    # pytest-cov's own measure: the terminal's width (COLUMNS), 80 without one, never under 40.
    width = shutil.get_terminal_size(fallback=(80, 24)).columns
    return 80 if width < 40 else width


def _sep(out, char, title, blank_after=False):
    """A separator line with a title in it, as pytest's terminal writer (and pytest-cov, below a blank line) draws it."""
    width = _width()
    fill = char * max((width - len(title) - 2) // (2 * len(char)), 1)
    line = f"{fill} {title} {fill}"
    if len(line) + len(char.rstrip()) <= width:
        line += char.rstrip()
    out.write(line + ("\n\n" if blank_after else "\n"))


def _reports(settings):
    """--cov-report as pytest-cov reads it: term when none was asked for, nothing for `--cov-report=` alone."""
    report = settings.get("report") or {}
    if not report:
        return {"term": None}
    if len(report) == 1 and "" in report:
        return {}
    return report


def _write_reports(cov, reports, precision, out):
    """The reports pytest-cov's CovController.summary writes, in its order and with its messages."""
    if "term" in reports or "term-missing" in reports:
        skip_covered = "skip-covered" in reports.values()
        cov.report(show_missing=("term-missing" in reports) or None, ignore_errors=True, file=out, precision=precision, skip_covered=skip_covered or None)
    if "annotate" in reports:
        directory = reports["annotate"]
        cov.annotate(ignore_errors=True, directory=directory)
        out.write(f"Coverage annotated source written to dir {directory}\n" if directory else "Coverage annotated source written next to source\n")
    if "html" in reports:
        directory = reports["html"]
        cov.html_report(ignore_errors=True, directory=directory)
        out.write(f"Coverage HTML written to dir {cov.config.html_dir if directory is None else directory}\n")
    if "xml" in reports:
        outfile = reports["xml"]
        cov.xml_report(ignore_errors=True, outfile=outfile)
        out.write(f"Coverage XML written to file {cov.config.xml_output if outfile is None else outfile}\n")
    if "json" in reports:
        outfile = reports["json"]
        cov.json_report(ignore_errors=True, outfile=outfile)
        out.write(f"Coverage JSON written to file {cov.config.json_output if outfile is None else outfile}\n")
    for kind, mode, verb in (("markdown", "w", "written to"), ("markdown-append", "a", "appended to")):
        if kind in reports:
            outfile = reports[kind] or "coverage.md"
            with open(outfile, mode) as handle:
                cov.report(ignore_errors=True, file=handle, output_format="markdown")
            out.write(f"Coverage Markdown information {verb} file {outfile}\n")
    if "lcov" in reports:
        outfile = reports["lcov"]
        cov.lcov_report(ignore_errors=True, outfile=outfile)
        out.write(f"Coverage LCOV written to file {cov.config.lcov_output if outfile is None else outfile}\n")


def combine_and_report(request, out):
    import coverage
    from coverage.exceptions import CoverageException
    from coverage.results import display_covered, should_fail_under

    settings = request["settings"]
    cov = coverage.Coverage(source=settings.get("source"), branch=settings.get("branch"), config_file=settings.get("config", True))
    # As pytest-cov starts a run: the project's data file is emptied first, unless --cov-append.
    if settings.get("append"):
        cov.load()
    else:
        cov.erase()
    data_files = [path for path in request["dataFiles"] if os.path.exists(path)]
    if data_files:
        # A run's own per-process files go once combined; merge-reports keeps the shards' files it was given.
        cov.combine(data_paths=data_files, keep=bool(request.get("keep")))
    cov.save()

    fail_under = settings.get("failUnder")
    if fail_under is None:
        fail_under = getattr(cov.config, "fail_under", 0) or 0
    precision = settings.get("precision")
    if precision is None:
        precision = getattr(cov.config, "precision", 0)
    reports = _reports(settings)
    result = {
        "total": None,
        "precision": precision,
        "failUnder": fail_under if fail_under else None,
        "failed": False,
        "reported": False,
        "dataFile": os.path.abspath(cov.config.data_file),
        "warning": None,
    }
    # pytest-cov reports when a report or a threshold is asked for, unless --no-cov-on-fail and tests failed.
    if not (reports or fail_under) or (request.get("testsFailed") and settings.get("noCovOnFail")):
        return result
    result["reported"] = True
    text = io.StringIO()
    try:
        total = cov.report(ignore_errors=True, file=_Nowhere, precision=precision)
        _sep(text, "_", f"coverage: platform {sys.platform}, python {'{}.{}.{}-{}-{}'.format(*sys.version_info[:5])}", blank_after=True)
        _write_reports(cov, reports, precision, text)
    except CoverageException as error:
        # As pytest-cov: a report that cannot be made is a warning, and a total of 0.
        result["warning"] = f"Failed to generate report: {error}"
        total = 0
    result["total"] = total
    judged = bool(fail_under) and request.get("judge", True)
    result["failed"] = judged and bool(should_fail_under(total, fail_under, precision))
    # In pytest-cov's order: the warning and the failure as the tests end, then the section of the terminal summary.
    if result["warning"] is not None:
        out.write(f"\nWARNING: {result['warning']}\n")
    if result["failed"]:
        out.write(f"\nERROR: Coverage failure: total of {display_covered(total, precision)} is less than fail-under={fail_under:.{precision}f}\n")
    _sep(out, "=", "tests coverage")
    out.write(text.getvalue())
    if judged:
        failed = result["failed"]
        # Judged at the report's precision, as pytest-cov judges it: where the rounding decides (99.45% at precision 0 is
        # 99, under 99.4), the rounded total is said beside the exact one, which alone read as a contradiction (a
        # helper's trial of cachetools; pytest-cov's own line there says "reached" and exits 1).
        rounded = f" ({display_covered(total, precision)}% at its precision of {precision} decimals, as the threshold is judged)" if failed and total >= fail_under else ""
        out.write(
            "{fail}Required test coverage of {required}% {reached}. Total coverage: {actual:.2f}%{rounded}\n".format(
                fail="FAIL " if failed else "", required=fail_under, reached="not reached" if failed else "reached", actual=total, rounded=rounded
            )
        )
    return result


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: python -m grimoire_run_coverage REQUEST.json RESULT.json\n")
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    try:
        import coverage  # noqa: F401
    except ImportError:
        sys.stderr.write(f"coverage is not installed for {sys.executable}\n")
        return _NO_COVERAGE_EXIT
    result = combine_and_report(request, sys.stdout)
    sys.stdout.flush()
    with open(argv[2], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
