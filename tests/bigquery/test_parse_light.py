"""Building DAGs and ``dop compile`` on a BigQuery target import no google-cloud module."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("google.cloud.bigquery", "google.auth", "google.api_core")

PROBE = textwrap.dedent("""
    import json, sys
    from dop_core.build.dags import build_dags
    dags = build_dags(sys.argv[1], "prod")
    from dop_core.cli.main import main
    try:
        main(["compile", "sales", "--project", sys.argv[1], "--target", "prod", "--date", "2024-06-02",
              "--full-refresh"], standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, exc.code
    heavy = sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[2].split(","))))
    print("PROBE " + json.dumps({"dags": sorted(dags), "heavy": heavy}))
""")


def test_building_dags_and_compiling_on_bigquery_imports_no_google_cloud(sales_project):
    targets = (
        "  local: {engine: duckdb}\n"
        "  prod: {engine: bigquery, project: my-gcp-project, location: EU,\n"
        "         impersonation_chain: dop-runner@my-gcp-project.iam.gserviceaccount.com}\n"
    )
    project = sales_project(targets)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(project.root), ",".join(HEAVY)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    probe = json.loads(done.stdout.split("PROBE ", 1)[1])
    assert probe["dags"] == ["dop__sales"]
    assert probe["heavy"] == []
    # the compiled SQL was printed (rendered for the date, in BigQuery SQL)
    assert "DELETE FROM sales.big_days WHERE order_date = run_date" in done.stdout
    assert "CALL sales.flag_big_days(DATE '2024-06-02')" in done.stdout
