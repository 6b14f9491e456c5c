import datetime as dt
import time

import pytest

from dop_core.config.durations import format_duration, parse_duration
from dop_core.config.yaml import MAX_BYTES, load_yaml
from dop_core.errors import ConfigError


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_yaml(text, "config.yaml")
    return info.value


def test_values_and_their_locations():
    doc = load_yaml("a: 1\ntasks:\n  - identifier: x\n    when: 2024-01-31\n", "config.yaml")
    assert doc.data == {"a": 1, "tasks": [{"identifier": "x", "when": dt.date(2024, 1, 31)}]}
    assert str(doc.at(("tasks", 0, "identifier"))) == "config.yaml:3:17"
    assert str(doc.at(("tasks", 0, "identifier"), key=True)) == "config.yaml:3:5"
    # a path that does not exist points at its nearest written parent
    assert str(doc.at(("tasks", 0, "missing"))) == "config.yaml:3:5"


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:datetime.timedelta [0, 300]",
    "!!python/name:os.system",
    "!!python/object/new:subprocess.Popen [[ls]]",
    "!custom thing",
])
def test_no_tag_constructs_python_objects(tag):
    err = error_of(f"tasks:\n  - delta: {tag}\n")
    assert err.location.line == 2 and err.location.column == 12
    assert "is not allowed" in str(err)
    assert "'5m'" in str(err)  # the safe spelling is shown


def test_duplicate_keys_are_refused_with_their_line():
    err = error_of("enabled: true\nschema: a\nschema: b\n")
    assert (err.location.line, err.location.column) == (3, 1)
    assert "duplicate key 'schema'" in str(err)


def test_syntax_error_has_a_location():
    err = error_of("tasks:\n  - identifier: a\n   kind: x\n")
    assert err.location.line == 3
    assert "invalid YAML" in str(err)


def test_alias_bomb_is_refused_quickly():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(9):
        prev, cur = chr(97 + i), chr(98 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.monotonic()
    err = error_of("\n".join(lines) + "\n")
    assert time.monotonic() - start < 10
    assert "alias bomb" in str(err)


def test_deep_nesting_is_refused():
    err = error_of("[" * 2000 + "]" * 2000)
    assert "nested too deeply" in str(err)


def test_huge_file_is_refused():
    err = error_of("a: '" + "x" * (MAX_BYTES + 1) + "'\n")
    assert "larger than" in str(err)


def test_merge_keys_work():
    doc = load_yaml("base: &b {retries: 2}\ntask:\n  <<: *b\n  identifier: x\n", "c.yaml")
    assert doc.data["task"] == {"retries": 2, "identifier": "x"}


@pytest.mark.parametrize(("text", "expected"), [
    ("30s", dt.timedelta(seconds=30)),
    ("5m", dt.timedelta(minutes=5)),
    ("1h30m", dt.timedelta(hours=1, minutes=30)),
    ("2d", dt.timedelta(days=2)),
    ("1w2d", dt.timedelta(weeks=1, days=2)),
    (300, dt.timedelta(seconds=300)),
    ("300", dt.timedelta(seconds=300)),
    ({"minutes": 5}, dt.timedelta(minutes=5)),
    ({"days": 1, "hours": 2}, dt.timedelta(days=1, hours=2)),
])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["5 minutes", "m5", "", "1h1h", -3, True, {"fortnights": 1}, {"minutes": "5"}, [5]])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_duration_round_trips():
    for delta in (dt.timedelta(seconds=45), dt.timedelta(hours=1, minutes=30), dt.timedelta(days=3, seconds=1)):
        assert parse_duration(format_duration(delta)) == delta
