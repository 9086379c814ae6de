"""pytest-cov under grimoire-run: the plugin's side (the listing reads pytest-cov's options and
measures nothing; a file's process measures only, into its own data file) and the combining helper
(grimoire_run_coverage), against the real pytest-cov and coverage.

The promise: what grimoire_run_coverage prints and writes at the end is what pytest-cov prints and
writes at the end of one pytest run over the same tests.
"""

import json
import subprocess
import sys
import textwrap

import pytest
from processes import python_env

COV = ("-p", "pytest_cov", "-p", "grimoire_run_pytest", "-p", "no:cacheprovider")

PROJECT = {
    "shop/__init__.py": "",
    "shop/cart.py": """\
        def total(items):
            if not items:
                return 0
            return sum(items)
    """,
    "shop/users.py": """\
        def greet(name):
            return "hello " + name

        def unused():
            return None
    """,
    "tests/test_cart.py": """\
        from shop.cart import total

        def test_total():
            assert total([1, 2]) == 3
            assert total([]) == 0
    """,
    "tests/test_users.py": """\
        from shop.users import greet

        def test_greet():
            assert greet("ann") == "hello ann"
    """,
}


@pytest.fixture
def shop(tmp_path):
    for name, text in PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def pytest_in(root, *args, **env):
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=root, env=python_env(COLUMNS="80", **env), capture_output=True, text=True)


def helper(root, request, **env):
    (root / "request.json").write_text(json.dumps(request))
    done = subprocess.run([sys.executable, "-m", "grimoire_run_coverage", "request.json", "result.json"], cwd=root, env=python_env(COLUMNS="80", **env), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads((root / "result.json").read_text())


def coverage_section(stdout):
    """pytest-cov's part of pytest's output: from its heading to the end of the table and messages, without pytest's own last line."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "tests coverage" in line)
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("=") and "passed" in lines[i]), len(lines))
    return "\n".join(lines[start:end]).rstrip()


def test_the_listing_reads_pytest_covs_options_from_the_command_line_and_addopts_and_measures_nothing(shop):
    (shop / "pytest.ini").write_text("[pytest]\naddopts = --cov-report=term-missing --cov-branch\n")
    listing = shop / "listing.json"
    done = pytest_in(shop, *COV, "--cov=shop", "--cov-report=xml:out/cov.xml", "--cov-fail-under=90", "tests", GRIMOIRE_LIST_FILE=str(listing))
    assert json.loads(listing.read_text())["coverage"] == {
        "source": ["shop"],
        "report": {"term-missing": None, "xml": "out/cov.xml"},
        "config": ".coveragerc",
        "branch": True,
        "precision": None,
        "failUnder": 90,
        "append": False,
        "noCovOnFail": False,
    }
    assert "coverage" not in done.stdout and not (shop / ".coverage").exists() and not (shop / "out").exists()


def test_the_listing_says_none_without_cov_or_with_no_cov(shop):
    for args in ((), ("--cov=shop", "--no-cov")):
        listing = shop / "listing.json"
        pytest_in(shop, *COV, *args, "tests", GRIMOIRE_LIST_FILE=str(listing))
        assert json.loads(listing.read_text())["coverage"] is None


def test_a_files_process_measures_into_its_own_data_file_and_neither_reports_nor_judges(shop):
    data = shop / "process" / ".coverage"
    data.parent.mkdir()
    done = pytest_in(shop, *COV, "--cov=shop", "--cov-report=term", "--cov-report=xml", "--cov-fail-under=100", "tests/test_users.py", GRIMOIRE_COVERAGE="combine", COVERAGE_FILE=str(data))
    assert done.returncode == 0, done.stdout
    assert "coverage" not in done.stdout.lower() and "CoverageWarning" not in done.stdout + done.stderr
    assert data.exists() and not (shop / ".coverage").exists() and not (shop / "coverage.xml").exists()


def test_combining_the_processes_data_reads_as_one_pytest_cov_run(shop):
    args = ("--cov=shop", "--cov-report=term-missing", "--cov-report=json:plain.json", "--cov-fail-under=95")
    plain = pytest_in(shop, *COV, *args, "tests")
    assert plain.returncode == 1
    expected = coverage_section(plain.stdout)
    plain_json = json.loads((shop / "plain.json").read_text())["totals"]

    files = []
    for test in ("test_cart", "test_users"):
        data = shop / "processes" / test / ".coverage"
        data.parent.mkdir(parents=True)
        pytest_in(shop, *COV, *args, f"tests/{test}.py", GRIMOIRE_COVERAGE="combine", COVERAGE_FILE=str(data))
        files.append(str(data))
    settings = {"source": ["shop"], "report": {"term-missing": None, "json": "combined.json"}, "config": ".coveragerc", "branch": None, "precision": None, "failUnder": 95, "append": False, "noCovOnFail": False}
    stdout, result = helper(shop, {"settings": settings, "dataFiles": files, "keep": False, "testsFailed": False, "judge": True})

    # Line for line what pytest-cov printed: its failure as the tests ended, then its section of the terminal summary.
    error = next(line for line in plain.stdout.splitlines() if line.startswith("ERROR: Coverage failure"))
    assert stdout == f"\n{error}\n{expected}\n".replace("written to file plain.json", "written to file combined.json")
    assert json.loads((shop / "combined.json").read_text())["totals"] == plain_json
    assert result == {"total": plain_json["percent_covered"], "precision": 0, "failUnder": 95, "failed": True, "reported": True, "dataFile": str(shop / ".coverage"), "warning": None}
    assert [line for line in stdout.splitlines() if line.startswith(("TOTAL", "FAIL Required"))] == [line for line in plain.stdout.splitlines() if line.startswith(("TOTAL", "FAIL Required"))]
    # Combined, the processes' files are gone (a run's own); the project's data file holds the whole.
    assert not any((shop / "processes" / test / ".coverage").exists() for test in ("test_cart", "test_users"))


def test_a_shard_reports_without_judging_and_no_cov_on_fail_reports_nothing_after_failures(shop):
    settings = {"source": ["shop"], "report": {}, "config": ".coveragerc", "branch": None, "precision": 2, "failUnder": 99, "append": False, "noCovOnFail": True}
    stdout, result = helper(shop, {"settings": settings, "dataFiles": [], "keep": True, "testsFailed": False, "judge": False})
    assert result["failed"] is False and result["reported"] is True and "Required test coverage" not in stdout
    # No data at all: pytest-cov's warning, and a total of 0.
    assert "WARNING: Failed to generate report: No data to report." in stdout and result["total"] == 0
    stdout, result = helper(shop, {"settings": settings, "dataFiles": [], "keep": True, "testsFailed": True, "judge": True})
    assert stdout == "" and result["reported"] is False and result["failed"] is False


def test_a_threshold_the_rounding_decides_says_the_rounded_total_beside_the_exact_one(tmp_path):
    """83.33% at precision 0 is 83, under 83.2: judged failed as pytest-cov judges it, and said with both totals (a
    helper's trial of cachetools read "not reached. Total coverage: 99.45%" against 99.4% as a contradiction)."""
    (tmp_path / "five").mkdir()
    (tmp_path / "five" / "__init__.py").write_text("A = 1\nB = 2\nC = 3\nD = 4\n\ndef unused():\n    return None\n")
    (tmp_path / "test_five.py").write_text("import five\n\ndef test_it():\n    assert five.A == 1\n")
    data = tmp_path / "process" / ".coverage"
    data.parent.mkdir()
    pytest_in(tmp_path, *COV, "--cov=five", "test_five.py", GRIMOIRE_COVERAGE="combine", COVERAGE_FILE=str(data))
    settings = {"source": ["five"], "report": {}, "config": True, "branch": None, "precision": None, "failUnder": 83.2, "append": False, "noCovOnFail": False}
    stdout, result = helper(tmp_path, {"settings": settings, "dataFiles": [str(data)], "keep": False, "testsFailed": False, "judge": True})
    assert result["failed"] is True and round(result["total"], 2) == 83.33
    assert "FAIL Required test coverage of 83.2% not reached. Total coverage: 83.33% (83% at its precision of 0 decimals, as the threshold is judged)" in stdout
