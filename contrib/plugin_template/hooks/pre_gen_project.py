"""Refuse a plugin name that cannot become a distribution, a package and an entry point."""

import re
import sys

NAME = "{{ cookiecutter.plugin_name }}"
PACKAGE = "{{ cookiecutter.package_name }}"

if not re.fullmatch(r"[a-z][a-z0-9]*([-_][a-z0-9]+)*", NAME):
    sys.exit(f"error: plugin name {NAME!r} must be lowercase letters and digits, words joined by - or _, "
             "starting with a letter (e.g. postgres, my-warehouse)")
if NAME.startswith("dop-") or NAME.startswith("dop_"):
    sys.exit(f"error: write the plugin name without the dop- prefix (e.g. {NAME[4:]!r}): the distribution is "
             "named dop-<name> for you")
if not PACKAGE.isidentifier():
    sys.exit(f"error: {PACKAGE!r} is not a Python package name")
