import datetime as dt
import pathlib
import time
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@pytest.mark.parametrize(("tag", "fix"), [
    ("!!python/object/apply:datetime.timedelta [0, 300]", "write `delta: 5m`"),  # the tag's value, spelt safely
    ("!!python/object/apply:datetime.timedelta {kwds: {hours: 1, minutes: 30}}", "write `delta: 1h30m`"),
    ("!!python/object/new:datetime.timedelta [2, 60]", "write `delta: 2d1m`"),
    ("!!python/object/apply:datetime.date [2021, 1, 31]", "write `delta: 2021-01-31`"),
    ("!!python/object/apply:datetime.timedelta [0, 0.5]", "durations as '5m'"),  # no exact spelling: the advice
    ("!!python/name:os.system", "durations as '5m'"),
    ("!!python/object/new:subprocess.Popen [[ls]]", "durations as '5m'"),
    ("!custom thing", "durations as '5m'"),
])
def test_no_tag_constructs_python_objects(tag, fix):
    err = error_of(f"tasks:\n  - delta: {tag}\n")
    assert err.location.line == 2 and err.location.column == 12
    assert "is not allowed" in str(err)
    assert err.problems[0].fix is not None and fix in err.problems[0].fix


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


@pytest.mark.parametrize("text", ["&m\n<<: *m\n", "base: &b\n  <<: *b\n", "a: &a [*a]\n"])
def test_a_value_holding_itself_is_refused_with_its_place(text):
    err = error_of(text)
    assert "nested too deeply" in str(err) and err.location.line in (1, 2)


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


# -- the libyaml composer gives what ruamel.yaml's composer gives --------------------------------
def _both_ways(text: str):
    """(fast path, ruamel path): each a Document's (data, values, keys) or the error's text; the fast
    path is None when it hands the document to ruamel.yaml."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import ReusedAnchorWarning

    from dop_core.config import _ruamel

    def outcome(compose):
        try:
            yaml = YAML(typ="safe", pure=True)
            node = compose(yaml)
            if node is _ruamel.NOT_COMPOSED:
                return None
            if node is None:
                return ({}, {}, {})
            from dop_core.config.yaml import Document

            doc = Document(path="c.yaml", data=None, values={}, keys={})
            return (_ruamel._Builder("c.yaml", doc, yaml.constructor).build(node, (), 0), doc.values, doc.keys)
        except ConfigError as exc:
            return str(exc)

    fast = outcome(lambda yaml: _ruamel.compose_with_libyaml(text))
    with warnings.catch_warnings():  # ruamel.yaml warns of a reused anchor (both paths take the last one)
        warnings.simplefilter("ignore", ReusedAnchorWarning)
        slow = outcome(lambda yaml: _ruamel._compose(yaml, text, "c.yaml"))
    return fast, slow


TRICKY = [
    "a: 1\nb: [x, 2.5, -3]\nc: {d: e}\n",
    "on: yes\noff: no\ny: n\nt: true\nT: True\nf: FALSE\n",  # YAML 1.2: yes/no/on/off are strings
    "octal: 0o17\nold_octal: 017\nhex: 0x1F\nsep: 1_000\nsexagesimal: 1:30\nexp: 1e3\nfloat: 1.5e-3\n",
    "inf: .inf\nninf: -.Inf\nnan: .NaN\nnull1: ~\nnull2: null\nnull3:\nempty: ''\n",
    "date: 2024-01-31\nts: 2024-01-31T04:05:06Z\nts2: 2024-01-31 04:05:06.5 +01:00\nnot_a_date: 2024-13-45\n",
    "q1: '1'\nq2: \"true\"\nq3: 'null'\nplain_colon: a:b\nurl: http://x/y?z=1#frag\n",
    "s: !!str 5\ni: !!int '7'\nf: !!float 1\nb: !!bool true\nbin: !!binary aGVsbG8=\n",
    "x: ! 12\n",  # the non-specific tag: a string
    "bad: !!python/name:os.system\n", "custom: !thing value\n", "seq: !!seq [1]\nmap: !!map {a: 1}\n",
    "base: &b {retries: 2, owner: me}\ntask: {<<: *b, retries: 3}\nlist: [*b, *b]\n",
    "a: &a [*a]\n", "&m\n<<: *m\n", "x: *nowhere\n", "a: 1\na: 2\n", "? [complex, key]\n: v\n", "{a: 1}: v\n",
    "text: |\n  line one\n  line two\nfolded: >-\n  folded\n  text\n",
    "---\na: 1\n---\nb: 2\n", "%YAML 1.1\n---\na: yes\n", "", "# only a comment\n", "---\n", "- 1\n- 2\n",
    "just a scalar\n", "a: b: c\n", "a:\n\t- tab\n", "[1, 2\n", "a: 'unterminated\n", "key: [a, {b: c}]\n",
    "ünï: çödé\n", "a:\n  - b\n  -\n  - c\n", "'quoted key': 1\n\"k2\": 2\n", "1: int key\ntrue: bool key\n",
    "null: x\n~: y\n",
]


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def assert_same(fast, slow):
    """Equal outcomes, but for where an empty value (``key:`` and nothing) is placed: libyaml marks where
    it ends (after ``key:``), ruamel.yaml the next token, possibly lines below."""
    if fast is None:
        return
    assert type(fast) is type(slow)
    if isinstance(fast, str):
        assert fast == slow
        return
    assert fast[0] == slow[0] and fast[2] == slow[2]
    for path, place in fast[1].items():
        if place != slow[1].get(path):
            assert _get(fast[0], path) is None, path


@pytest.mark.parametrize("text", TRICKY)
def test_libyaml_composes_like_ruamel(text):
    assert_same(*_both_ways(text))


def test_plain_configs_take_the_libyaml_path():
    fast, slow = _both_ways("schedule_interval: '0 4 * * *'\ntasks:\n  - identifier: a\n    retries: 2\n")
    assert fast is not None and fast == slow
    assert fast[0]["tasks"][0]["retries"] == 2 and fast[1][("tasks", 0, "retries")] == (4, 14)


_FRAGMENTS = st.lists(st.sampled_from([
    "a: 1", "b:", "  - x", "  - 2024-01-31", "  c: yes", "- ", "  ", "\t", "&x", "*x", "&x {k: v}", "<<: *x",
    "!!str", "!!int 3", "!custom", "! 5", "[", "]", "{", "}", ",", "'", '"', ":", "? ", "---", "...",
    "%YAML 1.2", "%YAML 1.1", "|", ">-", "  text", "# comment", "1:30", "0o17", "~", "null", ".inf", "1e3",
    "key: 'q'", "k: \"\\u00e9\"", "a: &a [*a]", "x: *none", "dup: 1", "dup: 2", "ü: ç", "true: false",
]), max_size=10)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(lines=_FRAGMENTS)
def test_libyaml_composes_like_ruamel_on_yaml_shaped_text(lines):
    assert_same(*_both_ways("\n".join(lines) + "\n"))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(max_size=120))
def test_libyaml_composes_like_ruamel_on_any_text(text):
    assert_same(*_both_ways(text))


def test_every_config_of_the_repository_composes_the_same_both_ways():
    root = pathlib.Path(__file__).resolve().parents[1]
    files = [p for pattern in ("tests/**/*.yml", "tests/**/*.yaml", "service_project_template/**/*.yml",
                               "service_project_template/**/*.yaml", "plugins/*/tests/**/*.yaml",
                               "contrib/*/tests/**/*.yaml") for p in root.glob(pattern)]
    assert len(files) > 20
    fast_used = 0
    for path in files:
        fast, slow = _both_ways(path.read_text(encoding="utf-8"))
        assert_same(fast, slow)
        fast_used += fast is not None
    assert fast_used > len(files) // 2
