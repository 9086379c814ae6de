import pytest

from grimoire_run_paths import in_install_folder


@pytest.mark.parametrize(
    "path",
    [
        "/venv/lib/python3.11/site-packages/requests/api.py",
        "/usr/lib/python3/dist-packages/yaml/__init__.py",
        "/project/__pypackages__/3.11/lib/attr/__init__.py",
        ".venv/lib/python3.11/site-packages",
        "C:\\Python311\\Lib\\site-packages\\pkg\\mod.py",
    ],
)
def test_a_path_in_a_folder_packages_are_installed_into_is_installed(path):
    assert in_install_folder(path)


@pytest.mark.parametrize(
    "path",
    [
        "/project/src/shop/models.py",
        "/project/tests/test_site_packages.py",
        "/project/my-site-packages/mod.py",
        "/usr/lib/python3.11/json/__init__.py",
        "",
    ],
)
def test_a_path_elsewhere_is_not(path):
    assert not in_install_folder(path)
