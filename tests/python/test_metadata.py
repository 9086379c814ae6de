"""grimoire_run_metadata: what a forked file reads of the installed packages is read and parsed once, and a package
installed, upgraded, removed or rewritten during the run is seen as it is."""

import importlib.metadata as metadata
import os
import shutil
import sys

import pytest

import grimoire_run_metadata


@pytest.fixture
def remembering(monkeypatch, tmp_path):
    """install() in this process, undone afterwards; returns the site folder to install into and the files read."""
    reads = []
    original = metadata.PathDistribution.read_text

    def counting(distribution, filename):
        reads.append((os.path.basename(distribution._path), filename))
        return original(distribution, filename)

    # monkeypatch puts the originals back, whatever install() set meanwhile.
    monkeypatch.setattr(metadata.PathDistribution, "read_text", counting)
    for name in ("metadata", "entry_points", "files"):
        monkeypatch.setattr(metadata.Distribution, name, getattr(metadata.Distribution, name))
    monkeypatch.setattr(grimoire_run_metadata, "_remembered", {})
    # Every file counts as unchanged for long, as an installed package's are; the tests of files written moments ago
    # put the second back.
    monkeypatch.setattr(grimoire_run_metadata, "_SETTLED_NS", -1)
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    grimoire_run_metadata.install()
    return site, reads


def write_distribution(site, version, plugin):
    folder = site / f"demo-{version}.dist-info"
    folder.mkdir()
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: demo\nVersion: {version}\n")
    (folder / "entry_points.txt").write_text(f"[pytest11]\ndemo = {plugin}\n")
    (folder / "RECORD").write_text("demo/__init__.py,,\n")
    # The file the RECORD lists: from Python 3.13 a distribution's files leave out those that are not there.
    (site / "demo").mkdir(exist_ok=True)
    (site / "demo" / "__init__.py").write_text("")
    # Installed a while ago, as most packages are: a new install's folder has a later time.
    os.utime(folder, ns=(10**18, 10**18))
    return folder


def test_each_file_of_a_distribution_is_read_and_parsed_once(remembering):
    site, reads = remembering
    write_distribution(site, "1.0", "demo.plugin")
    first = metadata.distribution("demo")
    again = metadata.distribution("demo")  # a new Distribution object, as every session makes
    assert first is not again
    assert again.entry_points is first.entry_points
    assert again.metadata.items() == first.metadata.items()
    assert [ep.value for ep in again.entry_points.select(group="pytest11")] == ["demo.plugin"]
    assert again.version == "1.0"
    assert sorted(reads) == [("demo-1.0.dist-info", "METADATA"), ("demo-1.0.dist-info", "entry_points.txt")]


def test_a_package_reinstalled_or_removed_is_read_again(remembering):
    site, _ = remembering
    old = write_distribution(site, "1.0", "demo.plugin")
    assert [ep.value for ep in metadata.distribution("demo").entry_points] == ["demo.plugin"]
    # Reinstalled in place, with another entry point: pip replaces the folder.
    shutil.rmtree(old)
    old.mkdir()
    (old / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    (old / "entry_points.txt").write_text("[pytest11]\ndemo = demo.other_plugin\n")
    assert [ep.value for ep in metadata.distribution("demo").entry_points] == ["demo.other_plugin"]
    # Upgraded: another folder.
    shutil.rmtree(old)
    write_distribution(site, "2.0", "demo.plugin")
    assert metadata.version("demo") == "2.0"
    shutil.rmtree(site / "demo-2.0.dist-info")
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution("demo")


def test_each_caller_gets_a_file_list_of_its_own(remembering):
    site, reads = remembering
    write_distribution(site, "1.0", "demo.plugin")
    files = metadata.distribution("demo").files
    files.clear()
    assert [str(path) for path in metadata.distribution("demo").files] == ["demo/__init__.py"]
    assert reads.count(("demo-1.0.dist-info", "RECORD")) == 1


def test_a_file_rewritten_in_place_moments_after_it_was_written_is_read_again(remembering, monkeypatch):
    # Within the kernel's tick a rewrite of the same size can keep the file's inode, size and times.
    monkeypatch.setattr(grimoire_run_metadata, "_SETTLED_NS", 1_000_000_000)
    site, _ = remembering
    folder = write_distribution(site, "1.0", "demo.plugin")
    assert metadata.Distribution.at(folder).version == "1.0"
    assert metadata.version("demo") == "1.0"
    (folder / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 2.0\n")
    assert metadata.Distribution.at(folder).version == "2.0"
    assert metadata.version("demo") == "2.0"


def test_a_remembered_file_rewritten_in_place_is_read_again(remembering):
    site, reads = remembering
    folder = write_distribution(site, "1.0", "demo.plugin")
    assert metadata.version("demo") == "1.0"
    assert metadata.version("demo") == "1.0"
    assert reads.count(("demo-1.0.dist-info", "METADATA")) == 1
    (folder / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0.1\n")
    (folder / "entry_points.txt").write_text("[pytest11]\ndemo = demo.other_plugin\n")
    assert metadata.version("demo") == "1.0.1"
    assert [ep.value for ep in metadata.distribution("demo").entry_points] == ["demo.other_plugin"]


def test_each_caller_gets_a_metadata_message_of_its_own(remembering):
    site, reads = remembering
    write_distribution(site, "1.0", "demo.plugin")
    message = metadata.distribution("demo").metadata
    message["Summary"] = "changed by the caller"
    del message["Version"]
    again = metadata.distribution("demo").metadata
    assert again.get_all("Summary") is None
    assert again["Version"] == "1.0"
    assert reads.count(("demo-1.0.dist-info", "METADATA")) == 1


def test_a_file_list_is_remembered_only_where_it_does_not_depend_on_the_listed_files():
    # From Python 3.12 importlib.metadata leaves out the listed files that are not there.
    assert grimoire_run_metadata._checks_files_exist(metadata.Distribution.files) == (sys.version_info >= (3, 12))


def test_a_test_that_patches_read_text_gets_what_its_read_text_gives(remembering, monkeypatch):
    site, _ = remembering
    write_distribution(site, "1.0", "demo.plugin")
    assert metadata.version("demo") == "1.0"
    assert [ep.value for ep in metadata.distribution("demo").entry_points] == ["demo.plugin"]
    assert metadata.distribution("demo").files is not None
    remembered = metadata.PathDistribution.read_text
    seen = []

    def patched(distribution, filename):
        seen.append(filename)
        if filename == "METADATA":
            raise OSError("refused by the test")
        if filename == "RECORD":
            return None
        if filename == "entry_points.txt":
            return "[pytest11]\ndemo = demo.faked\n"
        return remembered(distribution, filename)

    monkeypatch.setattr(metadata.PathDistribution, "read_text", patched)
    with pytest.raises(OSError):
        metadata.version("demo")
    assert [ep.value for ep in metadata.distribution("demo").entry_points] == ["demo.faked"]
    assert metadata.distribution("demo").files is None
    # No RECORD: importlib.metadata looks for an egg's file lists, as it would in a plain run.
    assert seen[:3] == ["METADATA", "entry_points.txt", "RECORD"]
    assert seen[-1] == "SOURCES.txt" and set(seen[3:]) <= {"installed-files.txt", "SOURCES.txt"}
