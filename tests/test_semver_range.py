"""Version ranges (values/semver_range.py) and the dependency matching that uses them (coalesce.py).

Helm takes a loaded subchart for a Chart.yaml dependency entry only when the entry's version
range matches the chart's version; otherwise the chart keeps its own name and the entry's alias
does not apply. The differential tests build one chart with many subcharts, one (range, version)
pair each, render it with Helm's SDK, and compare where each subchart's values land (under the
alias, under its own name, or nowhere because a condition disabled it) with `coalesce_chart`.
"""

from __future__ import annotations

import json
import random
import time

import pytest

from starter_lint.errors import InputError
from starter_lint.values.coalesce import coalesce_chart
from starter_lint.values.semver_range import MAX_RANGE_CHARS, is_compatible_range, parse_version, sanitized

from .chart_specs import chart_node, write_chart
from .support import NEEDS_HELM_SDK
from .test_chart_load import load_from
from .test_chart_load import write_chart as write_files

# (range, version, expected): the library's documented meanings
KNOWN = [
    ("^1.2", "1.5.0", True),
    ("^1.2", "2.0.0", False),
    ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.0.3", "0.0.4", False),
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False),
    ("~1", "1.9.0", True),
    ("1.2 - 1.4", "1.4.0", True),
    ("1.2 - 1.4", "1.4.9", True),  # `<= 1.4` admits all of 1.4.*
    ("1.2 - 1.4", "1.5.0", False),
    ("1.x", "1.9.9", True),
    (">1.1", "1.1.5", False),
    (">1.1", "1.2.0", True),
    ("<=1.x", "1.9.0", True),
    ("!=1.x", "1.2.0", False),
    (">=1.0.0", "1.1.0-beta", False),  # a prerelease needs a prerelease in its alternative
    (">=1.0.0-0", "1.1.0-beta", True),
    ("<1.0.0-0 || >=2", "2.1.0-rc.1", False),  # ...in the same alternative
    ("1.0.0+build.1", "1.0.0+other", True),  # build metadata never counts
    ("v1.2.3", "1.2.3", True),
    ("", "1.0.0", False),  # empty: NewConstraint refuses it
    ("1.0.0 ||", "1.0.0", False),
    ("*", "1.0.0", True),
    (">= 1.2, < 2", "1.5.0", True),
    ("foo", "1.0.0", False),
    ("1.0.0", "not-a-version", False),
]


@pytest.mark.parametrize("constraint, version, expected", KNOWN)
def test_known_ranges(constraint, version, expected):
    assert is_compatible_range(constraint, version) is expected


def test_versions_parse_as_the_library_coerces_them():
    assert parse_version("v1.2") is not None
    assert parse_version("01.2.3") is not None  # leading zeros coerced
    assert parse_version("1.2.3-01") is None  # but not in a numeric prerelease part
    assert parse_version("1.2.3-") is None
    assert parse_version("1.2.3+a..b") is None
    assert parse_version("18446744073709551616.0.0") is None  # uint64 overflow
    assert parse_version("1.2.3\n") is None  # Go's `$` is the end of the text


def test_sanitized_like_go():
    assert sanitized("^1.2\u00a0\x00|| 2\u2003x\x1f") == "^1.2 || 2 x"


def test_hostile_ranges_are_fast_and_match_nothing():
    hostile = [
        "1 " * 120 + "!",
        "1" * 250 + "!",
        "1.1.1-" + "a." * 120 + "!",
        ">=" + "9" * 300,
        "1 - " * 60 + "!",
        " || ".join(["1.2.3"] * 100),
    ]
    start = time.perf_counter()
    for text in hostile:
        assert not is_compatible_range(text, "1.2.3")
    assert time.perf_counter() - start < 2.0
    assert not is_compatible_range(" " * MAX_RANGE_CHARS + "*", "1.0.0")  # beyond the bound


# --------------------------------------------------------------------------------------------
# against Helm's SDK

# how each pair's entry is written: alias only; alias with a false condition; a false condition
# without an alias (it goes by name, so it disables the chart whether or not the range matches)
MODES = ("alias", "alias+off", "off")

HAND_PAIRS = [
    (c, v)
    for c in (
        "0.1.0",
        "=0.1.0",
        "v0.1.0",
        "0.1",
        "0",
        "0.x",
        "0.1.x",
        "*",
        "x",
        "X.x",
        "0.1.*",
        "0.X",
        "!=0.1.0",
        "!=0.1",
        "!=0.x",
        "!=0.1.x",
        "!=0.1.0-beta",
        ">0.1.0",
        ">0.0",
        ">0",
        ">0.0.x",
        "<0.1.0",
        "<0.2",
        "<1",
        ">=0.1.0",
        "=>0.1.0",
        ">=0.1.0-0",
        "<=0.1.0",
        "=<0.1",
        "<=0.x",
        "<=0.0.x",
        "~0.1.0",
        "~>0.1",
        "~0",
        "~0.0.0",
        "~0.x",
        "^0.1.0",
        "^0.1",
        "^0",
        "^0.0",
        "^0.0.x",
        "^0.x",
        "^0.1.0-alpha",
        "0.0.1 - 0.2.0",
        "0.1.0-a - 0.1.0",
        "0.1 - 0",
        ">=0.1.0 <0.2.0",
        ">=0.1.0,<0.2.0",
        ">=0.1.0, <0.2.0",
        "<0.1.0 || >=0.1.0",
        "0.1.0+meta",
        "",
        " ",
        "latest",
        "0.1.0 ||",
        "|| 0.1.0",
        ">= 0.1.0 || foo",
        "0.1.0-",
        "1.0.0-01",
        "0.x.|",
        "0|1",
        ">==0.1.0",
        "~ 0.1",
        "^ 0.1",
        "0.1.0\t||\t0.2.0",
        "\u00a0>=0.1.0",
        ">=0.1.0\x00",
        "0.1.0 - 0.2.0 - 0.3.0",
        "01.1.0",
        "v0.x",
        "=v0.1.0-beta.2",
        ">0.1.0-beta.10",
        "!=0.1.x-beta.2",
        "!=0.x-beta.2",
        ">0.x",
        ">0.1.x-0",
        "<=0.1.x-0",
        "~0.1.x-beta",
        "^0.0.x-0",
        ">=0.1.0-beta.2 <0.1.0",
        "0.1.0-beta.2",
        "0.1.0-BETA.2",
        ">0.1.0-beta.2.0",
        "<0.1.0-beta.x",
    )
    for v in ("0.1.0", "0.1.0-beta.2", "0.1.0+build", "v0.2")
]


def _pairs_chart(pairs: list[tuple[str, str]], modes: list[str]) -> dict:
    deps, charts, values = [], [], []
    for i, ((constraint, version), mode) in enumerate(zip(pairs, modes, strict=True)):
        dep: dict = {"name": f"s{i}", "version": constraint}
        if "alias" in mode:
            dep["alias"] = f"a{i}"
        if "off" in mode:
            dep["condition"] = f"c{i}"
            values.append(f"c{i}: false\n")
        deps.append(dep)
        charts.append({"name": f"s{i}", "version": version, "values": f"own: {i}\n"})
    return {"name": "top", "values": "".join(values) or None, "deps": deps, "charts": charts}


def _placement(root_values: dict, i: int) -> str:
    """Where pair i's subchart values went: its alias, its own name, or nowhere."""
    places = [key for key in (f"a{i}", f"s{i}") if root_values.get(key) == {"own": i}]
    return ",".join(places) or "absent"


def _disagreements(pairs, modes, directory, helm_python) -> list[str]:
    spec = _pairs_chart(pairs, modes)
    write_chart(spec, directory)
    with helm_python.Chart.load(str(directory)) as loaded:
        rendered = loaded.render({})
    helm_root = json.loads(rendered["top/templates/values.yaml"])
    ours = coalesce_chart(chart_node(spec), {})
    out = []
    for i, (pair, mode) in enumerate(zip(pairs, modes, strict=True)):
        helm, mine = _placement(helm_root, i), _placement(ours.values, i)
        rendered_here = any(f"/charts/{key}/" in name for name in rendered for key in (f"a{i}", f"s{i}"))
        enabled_here = any(path[:1] in ((f"a{i}",), (f"s{i}",)) for path in ours.enabled if path)
        if helm != mine or rendered_here != enabled_here:
            out.append(
                f"range {pair[0]!r} version {pair[1]!r} ({mode}): helm {helm} (renders: {rendered_here}),"
                f" ours {mine} (renders: {enabled_here})"
            )
    return out


BATCH = 40


@pytest.fixture(scope="module")
def helm_python():
    return pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)


def test_hand_written_ranges_match_like_helm(helm_python, tmp_path):
    modes = [MODES[i % len(MODES)] for i in range(len(HAND_PAIRS))]
    problems = []
    for start in range(0, len(HAND_PAIRS), BATCH):
        problems += _disagreements(
            HAND_PAIRS[start : start + BATCH],
            modes[start : start + BATCH],
            tmp_path / str(start),
            helm_python,
        )
    assert not problems, "\n".join(problems)


def _random_version(r: random.Random, wild: bool) -> str:
    parts = [str(r.choice((0, 1, 2, 10)))]
    for _ in range(r.choice((0, 1, 2, 2, 2))):
        parts.append(
            r.choice(("x", "X", "*", "0", "1", "2"))
            if wild and r.random() < 0.25
            else str(r.choice((0, 1, 2)))
        )
    text = ("v" if r.random() < 0.1 else "") + ".".join(parts)
    if r.random() < 0.25:
        text += "-" + r.choice(("alpha", "beta.1", "beta.10", "0", "rc.2.x", "1-a"))
    if r.random() < 0.1:
        text += "+" + r.choice(("b1", "exp.sha.5114f85"))
    return text


def _random_range(r: random.Random) -> str:
    alternatives = []
    for _ in range(r.choice((1, 1, 1, 2, 3))):
        if r.random() < 0.15:
            alternatives.append(f"{_random_version(r, True)} - {_random_version(r, True)}")
            continue
        comparisons = []
        for _ in range(r.choice((1, 1, 2, 3))):
            op = r.choice(("", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^"))
            comparisons.append(op + r.choice(("", "", " ")) + _random_version(r, True))
        alternatives.append(r.choice((" ", ", ", ",")).join(comparisons))
    text = " || ".join(alternatives)
    if r.random() < 0.05:  # damage it now and then
        k = r.randrange(len(text) + 1)
        text = text[:k] + r.choice(("|", "-", "!", "a", " ", "..")) + text[k:]
    return text


# the parser's corners: ranges strung together from the grammar's pieces, mostly invalid
PIECES = list("0129.xX*-+v|, ><=!~^ab") + ["\t", " - ", "||", "1.2", "0.1.0", ">=", "-rc.1", "1.x"]


def test_random_ranges_match_like_helm(helm_python, tmp_path):
    r = random.Random(11)
    count = 400
    pairs = [(_random_range(r), _random_version(r, False)) for _ in range(320)]
    pairs += [
        ("".join(r.choice(PIECES) for _ in range(r.randrange(1, 12))), _random_version(r, False))
        for _ in range(count - len(pairs))
    ]
    modes = [r.choice(MODES) for _ in range(count)]
    matched = sum(is_compatible_range(c, v) for c, v in pairs)
    assert 0.2 * count < matched < 0.8 * count  # both outcomes well exercised
    problems = []
    for start in range(0, count, BATCH):
        problems += _disagreements(
            pairs[start : start + BATCH], modes[start : start + BATCH], tmp_path / str(start), helm_python
        )
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# whole trees: what else of an entry applies when its range takes no loaded chart

LEAF = {"name": "leaf", "version": "3.1.0", "values": "port: 1\nexports: {data: {e: 1}}\n"}
SUB_1 = {"name": "sub", "version": "1.4.0", "values": "port: 2\nexports: {data: {e: 2}}\nglobal: {g: sub}\n"}
TREES = {
    "aliased entry misses: own name, no import": (
        [{"name": "sub", "alias": "x", "version": "^2", "import_values": ["data"]}],
        [SUB_1],
    ),
    "unaliased entry misses: imports still by name": (
        [{"name": "sub", "version": "~1.3", "import_values": ["data", ("port", "p")]}],
        [SUB_1],
    ),
    "unaliased entry misses: a false tag still disables by name": (
        [{"name": "sub", "version": ">=5", "tags": ["t"]}],
        [SUB_1],
    ),
    "two aliases of one chart, one range matches": (
        [{"name": "sub", "alias": "x", "version": "1.x"}, {"name": "sub", "alias": "y", "version": "<1"}],
        [SUB_1],
    ),
    "nested: the middle chart's range misses its leaf": (
        [{"name": "mid", "alias": "m", "version": "0.1.0"}],
        [
            {
                "name": "mid",
                "values": "leaf: {port: 9}\n",
                "deps": [{"name": "leaf", "alias": "l", "version": ">3.1", "condition": "leaf.port"}],
                "charts": [LEAF],
            }
        ],
    ),
    "an archived chart whose prerelease a range asks for": (
        [{"name": "sub", "alias": "x", "version": ">=1.4.0-0", "import_values": ["data"]}],
        [{**SUB_1, "version": "1.4.0-rc.1", "archive": True}],
    ),
}


@pytest.mark.parametrize("case", sorted(TREES))
def test_trees_with_version_ranges_coalesce_like_helm(helm_python, tmp_path, case):
    from .test_coalesce_parity import differs  # deferred: it skips its module without the SDK

    deps, charts = TREES[case]
    spec = {"name": "top", "values": "tags: {t: false}\n", "deps": deps, "charts": charts}
    problem = differs(spec, {}, tmp_path / "chart")
    assert not problem, problem


LOADED_VERSIONS = ["1.0.0", "v1", "01.2", "1.2.3-rc.1+b", "abc", "1.2.3.4", "1.2.3-", "1.0.0-01", "1.2.3 "]


@pytest.mark.parametrize("version", LOADED_VERSIONS)
def test_a_chart_version_helm_cannot_parse_is_refused_like_helm(helm_python, tmp_path, version):
    folder = write_files(
        tmp_path / "chart",
        {
            "Chart.yaml": "apiVersion: v2\nname: app\nversion: '0.1.0'\n",
            "charts/sub/Chart.yaml": (f"apiVersion: v2\nname: sub\nversion: {json.dumps(version)}\n"),
        },
    )
    try:
        with helm_python.Chart.load(str(folder)):
            helm_refuses = False
    except helm_python.HelmError:
        helm_refuses = True
    try:
        load_from(tmp_path)
        ours = False
    except InputError as exc:
        assert "chart.metadata.version" in str(exc) and "is invalid" in str(exc)
        ours = True
    assert ours == helm_refuses


def test_a_version_of_thousands_of_digits_is_no_internal_error():
    # Python's int() refuses a string of 4,300 digits and more: Go's ParseUint says out of
    # range, so such a version is none; a numeric prerelease that long still compares
    assert parse_version("1.0." + "9" * 5000) is None
    assert not is_compatible_range(">=1.0.0", "1.0." + "9" * 5000)
    assert is_compatible_range(">=1.0.0-1", "1.0.0-" + "9" * 5000)
