"""What ``pip install dop-core dop-dbt`` brings into a fresh virtualenv: package count and size on disk.

Builds every distribution of the workspace (``uv build --all-packages``), then installs each requirement set
into its own fresh virtualenv, from those wheels plus PyPI (``uv pip install``), as a user installing the
published packages would. For each set it prints the number of distributions installed, their size on disk
(the files each distribution's RECORD lists), and the largest of them. Targets (issue 19): ``dop-core
dop-dbt`` within 120 packages and 700 MB. For scale: ``apache-airflow`` alone (the version dop-core got), and
``dop-core[google] dop-dbt`` (Google Cloud: BigQuery, GCS, Dataproc, Cloud Composer).

Time is printed too, but uv's cache makes it a warm-cache figure; ``--cold`` uses an empty cache (it then
downloads everything: minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common

TARGET_PACKAGES = 120
TARGET_MB = 700.0
SETS = {
    "dop-core dop-dbt": ["dop-core", "dop-dbt"],
    "dop-core[google] dop-dbt": ["dop-core[google]", "dop-dbt"],
}

# Run inside the fresh virtualenv: each installed distribution, its version and the bytes of its files.
SIZES = """
import json, os
from importlib.metadata import distributions
out = {}
for dist in distributions():
    total = 0
    for f in dist.files or ():
        try:
            total += os.lstat(dist.locate_file(f)).st_size
        except OSError:
            pass
    out[dist.metadata["Name"].lower()] = [total, dist.version]
print(json.dumps(out))
"""


def build(dist_dir: pathlib.Path) -> dict[str, pathlib.Path]:
    """Wheels of every workspace distribution, by distribution name (dop-core, dop-dbt, ...)."""
    subprocess.run(["uv", "build", "--all-packages", "--wheel", "--quiet", "--out-dir", str(dist_dir)],
                   cwd=common.REPO, check=True)
    wheels = {}
    for wheel in dist_dir.glob("*.whl"):
        wheels[wheel.name.split("-")[0].replace("_", "-")] = wheel
    return wheels


def requirement(spec: str, wheels: dict[str, pathlib.Path]) -> str:
    """``dop-core[google]`` -> ``dop-core[google] @ file:///.../dop_core-0.1.0-py3-none-any.whl``."""
    name = spec.split("[")[0]
    return f"{spec} @ {wheels[name].as_uri()}" if name in wheels else spec


def install(specs: list[str], wheels: dict[str, pathlib.Path], venv: pathlib.Path, env: dict[str, str]) -> dict:
    subprocess.run(["uv", "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    started = time.perf_counter()
    subprocess.run(["uv", "pip", "install", "--quiet", "--python", str(python),
                    *(requirement(s, wheels) for s in specs)], check=True, env=env)
    seconds = time.perf_counter() - started
    found = json.loads(subprocess.run([str(python), "-c", SIZES], capture_output=True, text=True, check=True,
                                      env=env).stdout)
    return {"seconds": seconds, "sizes": {name: size for name, (size, _) in found.items()},
            "versions": {name: version for name, (_, version) in found.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description="Packages and megabytes that installing DOP brings.",
                                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true", help="install with an empty uv cache (downloads all)")
    parser.add_argument("--top", type=int, default=12, help="largest distributions listed (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the report")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="dop-bench-install-"))
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    if args.cold:
        env["UV_CACHE_DIR"] = str(work / "uv-cache")
    report: dict[str, dict] = {}
    try:
        wheels = build(work / "dist")
        if not args.json:
            print(f"# Install size\nmachine: {common.machine()}\nwheels built: "
                  + ", ".join(sorted(w.name for w in wheels.values())) + "\n")
        results = {label: install(specs, wheels, work / f"venv{n}", env)
                   for n, (label, specs) in enumerate(SETS.items())}
        airflow = f"apache-airflow=={results['dop-core dop-dbt']['versions']['apache-airflow']}"
        results[airflow + " alone"] = install([airflow], wheels, work / "venv-airflow", env)
        for label, result in results.items():
            sizes = result["sizes"]
            count, megabytes = len(sizes), sum(sizes.values()) / 1e6
            report[label] = {"packages": count, "megabytes": round(megabytes, 1),
                             "seconds": round(result["seconds"], 1),
                             "largest": sorted(sizes.items(), key=lambda kv: -kv[1])[:args.top]}
            checked = label == "dop-core dop-dbt"
            if checked:
                report[label]["beyond_airflow"] = sorted(set(sizes) - set(results[airflow + " alone"]["sizes"]))
            if args.json:
                continue
            print(f"## pip install {label}")
            print(f"packages: {count}" + (f" -> {common.verdict(count, TARGET_PACKAGES)}" if checked else ""))
            print(f"size on disk: {megabytes:.0f} MB" + (f" -> {common.verdict(megabytes, TARGET_MB)} MB"
                                                         if checked else ""))
            if checked:
                print(f"beyond {airflow}: " + ", ".join(report[label]["beyond_airflow"]))
            print(f"install time: {result['seconds']:.0f} s ({'empty' if args.cold else 'warm'} uv cache)")
            print(common.table(["largest distributions", "MB"],
                               [[name, f"{size / 1e6:.1f}"] for name, size in report[label]["largest"]]) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
