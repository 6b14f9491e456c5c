"""Every distribution is a well-kept package, checked in the files ``uv build`` makes (as PyPI would get them):
``py.typed``, the licence, Project-URLs, classifiers, absolute links in the long description, an sdist holding
only its own distribution, plugins bound to a compatible dop-core, ``twine check --strict`` clean. The plugin
that ``dop new-plugin`` generates is held to the same list."""

from __future__ import annotations

import email.message
import email.parser
import json
import pathlib
import re
import tarfile
import zipfile

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging_support import DISTRIBUTIONS, REPO, artifacts, run

from dop_core.cli.new_plugin import core_requirement, create_plugin
from dop_core.extras import GOOGLE_EXTRA
from dop_core.util import urls

pytestmark = pytest.mark.slow

LICENSE = (REPO / "LICENSE").read_bytes()
PYTHONS = ("3.11", "3.12", "3.13")
CORE_RANGE = SpecifierSet(core_requirement().removeprefix("dop-core"))
PROJECT_URLS = {"Documentation": urls.DOCUMENTATION, "Source": urls.REPOSITORY, "Issues": urls.ISSUES}
#: what an sdist may hold besides its package: build metadata, README, licence, and each one's own extras
SDIST_COMMON = {"PKG-INFO", "pyproject.toml", "README.md", "LICENSE", ".gitignore"}
SDIST_OWN = {
    "dop-core": {"dop_core", "service_project_template", "contrib"},
    "dop-dbt": {"dop_dbt", "docker"},
    "dop-spark": {"dop_spark"},
    "dop-egress": {"dop_egress"},
    "dop-postgres": {"dop_postgres"},
    "dop-hello": {"dop_hello"},
}
#: plugins whose Google Cloud parts come with their own `google` extra (= dop-core[google])
GOOGLE_PLUGINS = ("dop-dbt", "dop-spark", "dop-egress")
LINK = re.compile(r"\]\(\s*([^)\s]+)|^\s*\[[^\]]+\]:\s*(\S+)|href=[\"']([^\"']+)", re.MULTILINE)


def metadata(wheel: pathlib.Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(zf.read(name).decode())


def relative_links(markdown: str) -> list[str]:
    """Links in a Markdown text that PyPI cannot follow: neither absolute nor anchors."""
    found = [next(g for g in m.groups() if g) for m in LINK.finditer(markdown)]
    return [link for link in found if not re.match(r"(https?://|mailto:|#)", link)]


def check_wheel(wheel: pathlib.Path, package: str, license_text: bytes | None = LICENSE) -> email.message.Message:
    """py.typed, the licence file, Project-URLs, classifiers, Python versions, absolute links."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert f"{package}/py.typed" in names, f"{wheel.name} has no {package}/py.typed"
        licenses = [n for n in names if re.fullmatch(r"[^/]+\.dist-info/licenses/LICENSE", n)]
        assert licenses, f"{wheel.name} carries no licence file"
        if license_text is not None:
            assert zf.read(licenses[0]) == license_text, f"{wheel.name}'s LICENSE is not the repository's"
    meta = metadata(wheel)
    assert meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"] == ">=3.11"
    classifiers = meta.get_all("Classifier") or []
    for wanted in ["Framework :: Apache Airflow", "Typing :: Typed",
                   *(f"Programming Language :: Python :: {v}" for v in PYTHONS)]:
        assert wanted in classifiers, f"{wheel.name}: no classifier {wanted!r}"
    assert not [c for c in classifiers if c.startswith("License ::")], "the licence is License-Expression (PEP 639)"
    project_urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert set(project_urls) == {"Documentation", "Source", "Issues"}, project_urls
    assert meta["Description-Content-Type"] == "text/markdown"
    description = meta.get_payload()
    assert description.strip(), f"{wheel.name} has no long description"
    assert relative_links(description) == [], f"{wheel.name}: links that are dead on PyPI"
    return meta


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_wheel_metadata(dist: pathlib.Path, name: str) -> None:
    wheel, _ = artifacts(dist, name)
    meta = check_wheel(wheel, name.replace("-", "_"))
    project_urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert project_urls == PROJECT_URLS  # the addresses decided in dop_core/urls.py
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
    if name != "dop-core":  # a plugin is bound to the dop-core releases whose contract it was written against
        (core,) = [r for r in requires if r.name == "dop-core" and not r.marker]
        assert core.specifier == CORE_RANGE
    if name in GOOGLE_PLUGINS:
        (google,) = [r for r in requires if r.marker and r.marker.evaluate({"extra": "google"})]
        assert (google.name, google.extras) == ("dop-core", {"google"})


def test_google_cloud_is_an_extra_of_dop_core(dist: pathlib.Path) -> None:
    """``pip install dop-core`` brings no Google Cloud library; ``dop-core[google]`` brings what DOP checks."""
    meta = metadata(artifacts(dist, "dop-core")[0])
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
    always = {r.name for r in requires if not r.marker}
    google = {r.name for r in requires if r.marker and r.marker.evaluate({"extra": "google"})}
    assert "google" in (meta.get_all("Provides-Extra") or [])
    assert not [n for n in always if "google" in n], always
    assert set(GOOGLE_EXTRA.distributions) <= google, "dop_core.extras.GOOGLE_EXTRA names what the extra installs"


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_sdist_holds_only_its_own_distribution(dist: pathlib.Path, name: str) -> None:
    _, sdist = artifacts(dist, name)
    with tarfile.open(sdist) as tf:
        members = [m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name]
        license_member = next(m for m in tf.getmembers() if m.name.endswith("/LICENSE") and m.name.count("/") == 1)
        assert tf.extractfile(license_member).read() == LICENSE  # type: ignore[union-attr]
    top = {m.split("/", 1)[0] for m in members}
    assert top <= SDIST_COMMON | SDIST_OWN[name], f"{sdist.name} holds {sorted(top - SDIST_COMMON - SDIST_OWN[name])}"
    assert not [m for m in members if "__pycache__" in m or m.endswith((".pyc", ".duckdb"))]
    if name == "dop-core":  # what its wheel is built from, and nothing of the workspace around it
        assert {m.split("/")[1] for m in members if m.startswith("contrib/")} == {"plugin_template"}


def test_twine_check_strict(dist: pathlib.Path, uv: str) -> None:
    files = sorted(dist.glob("*.whl")) + sorted(dist.glob("*.tar.gz"))
    assert len(files) == 2 * len(DISTRIBUTIONS)
    result = run([uv, "tool", "run", "--from", "twine>=6", "twine", "check", "--strict", *files])
    assert result.stdout.count("PASSED") == len(files), result.stdout


def test_the_addresses_are_decided_in_one_place() -> None:
    """pyproject.toml files and mkdocs.yml repeat dop_core/urls.py; each README links absolutely."""
    import tomllib

    for name, folder in DISTRIBUTIONS.items():
        meta = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        assert meta["urls"] == PROJECT_URLS, name
    assert f"repo_url: {urls.REPOSITORY}\n" in (REPO / "mkdocs.yml").read_text()
    for folder in DISTRIBUTIONS.values():
        readme = (folder / "README.md").read_text()
        assert relative_links(readme) == [], folder
        assert not [u for u in re.findall(r"https://github\.com/[^/\s)]+/[^/\s)]+", readme)
                    if "teamdatatonic" not in u and "google/zetasql" not in u and u != urls.REPOSITORY], folder


def test_generated_plugin_is_a_well_kept_package(tmp_path: pathlib.Path, uv: str) -> None:
    """What `dop new-plugin` generates builds into a wheel and sdist that pass the same checks."""
    folder = create_plugin("audit-log", tmp_path, no_input=True, extra={"author_name": "Data Team"})
    out = tmp_path / "dist"
    run([uv, "build", "--quiet", "--out-dir", out, folder])
    (wheel,) = out.glob("*.whl")
    meta = check_wheel(wheel, "dop_audit_log", license_text=None)
    with zipfile.ZipFile(wheel) as zf:
        licence = zf.read("dop_audit_log-0.1.0.dist-info/licenses/LICENSE").decode()
    assert "MIT License" in licence and "Data Team" in licence
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
    (core,) = [r for r in requires if r.name == "dop-core"]
    assert core.specifier == CORE_RANGE
    project_urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert project_urls["Source"] == "https://github.com/your-org/dop-audit-log"
    run([uv, "tool", "run", "--from", "twine>=6", "twine", "check", "--strict", wheel, *out.glob("*.tar.gz")])


def test_the_templates_default_core_range_is_this_releases() -> None:
    """Plain `cookiecutter contrib/plugin_template` binds to the same dop-core range as `dop new-plugin`."""
    defaults = json.loads((REPO / "contrib" / "plugin_template" / "cookiecutter.json").read_text())
    assert defaults["core_requirement"] == core_requirement()
    assert core_requirement("0.1.0") == "dop-core>=0.1,<0.2"
    assert core_requirement("1.4.2") == "dop-core>=1.4,<2"
