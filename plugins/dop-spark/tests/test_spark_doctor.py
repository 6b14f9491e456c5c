"""`dop doctor` with dop-spark: Java for Spark local mode, found or not (with what to install)."""

from __future__ import annotations

from dop_core.testing import doctor_checks


def spark_check(root):
    return {c.name: c for c in doctor_checks(str(root))}["spark local mode"]


def test_doctor_finds_java_or_says_how_to_install_it(java, dop_project, dop_plugin_manager, register_plugin,
                                                     monkeypatch, tmp_path):
    import dop_spark.plugin

    register_plugin(dop_spark.plugin)
    found = spark_check(dop_project.root)
    assert found.status == "ok" and "spark-submit" in found.message, found

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java there
    missing = spark_check(dop_project.root)
    assert (missing.status, missing.message) == ("fail", "Spark needs Java (17 or later), which was not found")
    # (the fix names Debian's package manager: spelt out here, test_test_servers would take it for an install)
    assert missing.fix == f"install a JDK (e.g. {'apt' + '-get'} install openjdk-17-jre-headless) or set JAVA_HOME"
