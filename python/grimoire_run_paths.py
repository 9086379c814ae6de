"""Where a file lies: in an installed package's folder, or elsewhere (the project's code, a script).

Several of grimoire-run's modules ask it of a path: the preload (only installed
packages and Python's own modules may be imported ahead), the import times
(installed, stdlib or project), the fork server's warm-up (a plugin whose module
is the project's own code stays out of it), the plugin's notices (a frame of a
library or of the test). One answer for all of them: a path with a folder named
as pip, Debian's Python or PEP 582 install packages into.
"""

import os

INSTALL_FOLDERS = frozenset(("site-packages", "dist-packages", "__pypackages__"))


def in_install_folder(path):
    """Whether `path` (absolute or relative, either separator) has a site-packages, dist-packages or __pypackages__
    folder among its parts."""
    return not INSTALL_FOLDERS.isdisjoint(os.path.normpath(path).replace("\\", "/").split("/"))
