"""The values loader on its own: positions, notes (SL103/SL104), decoding, hostile input, speed."""

from __future__ import annotations

import codecs
import time
import tracemalloc

import pytest

from starter_lint import yamlio
from starter_lint.yamlio import (
    MAX_DEPTH,
    Span,
    YamlLoadError,
    decode_bytes,
    events,
    helm_number,
    key_to_string,
    load_values,
    split_documents,
)

from .support import cli


def lc(span: Span) -> tuple:
    return span.line, span.col


@pytest.fixture(params=["libyaml", "ruamel"])
def backend(request, monkeypatch):
    monkeypatch.setattr(events, "EVENT_BACKEND", request.param)
    return request.param


# --------------------------------------------------------------------------------------------
# Positions (1-based lines and columns of keys and values)

DOC = """\
api:
  image: registry.example.org/app:1.0
  env:
    LOG_LEVEL: info
  ports: [80, 443]
  hosts:
    - name: a.example.org
      tls: true
note: |
  two
  lines
"""


def test_value_and_key_positions(backend):
    loaded = load_values(DOC, "values.yaml")
    assert loaded.key_spans[("api",)] == Span(1, 1, 1, 4)
    assert loaded.key_spans[("api", "image")] == Span(2, 3, 2, 8)
    assert loaded.spans[("api", "image")] == Span(2, 10, 2, 38)
    assert lc(loaded.spans[("api", "env", "LOG_LEVEL")]) == (4, 16)
    assert lc(loaded.spans[("api", "ports", 0)]) == (5, 11)
    assert lc(loaded.spans[("api", "ports", 1)]) == (5, 15)
    assert lc(loaded.spans[("api", "hosts", 0, "name")]) == (7, 13)
    assert lc(loaded.key_spans[("api", "hosts", 0, "tls")]) == (8, 7)
    assert lc(loaded.spans[("note",)]) == (9, 7)
    assert loaded.span_of(("api", "image")) == loaded.spans[("api", "image")]


def test_positions_count_characters_not_bytes(backend):
    loaded = load_values("ünïcödé: x\nb: 日本語\nc: y\n")
    assert lc(loaded.spans[("ünïcödé",)]) == (1, 10)
    assert lc(loaded.spans[("b",)]) == (2, 4)
    assert lc(loaded.spans[("c",)]) == (3, 4)


def test_positions_with_crlf_and_bom(backend):
    loaded = load_values("\ufeffa: 1\r\nb:\r\n  c: 2\r\n")
    assert loaded.data == {"a": 1, "b": {"c": 2}}
    assert lc(loaded.spans[("b", "c")]) == (3, 6)


def test_positions_below_an_alias_are_not_invented(backend):
    loaded = load_values("base: &b\n  x: 1\nother: *b\n")
    assert loaded.data == {"base": {"x": 1}, "other": {"x": 1}}
    assert lc(loaded.spans[("other",)]) == (3, 8)  # the alias itself
    assert ("other", "x") not in loaded.spans  # not the anchor's line, silently


def test_chart_values_positions_survive_document_splitting(backend):
    text = "a: 1\n---\n# second\nb:\n  c: 2\n--- # third\nd: 3\n"
    loaded = load_values(text, "values.yaml", chart_defaults=True)
    assert loaded.data == {"a": 1, "b": {"c": 2}, "d": 3}
    assert lc(loaded.spans[("b", "c")]) == (5, 6)
    assert lc(loaded.spans[("d",)]) == (7, 4)
    assert loaded.documents == 3


def test_split_documents_like_helms_yaml_reader():
    assert split_documents("a: 1\n---\nb: 2\n") == [(0, "a: 1\n"), (2, "b: 2\n")]
    assert split_documents("---\na: 1\n") == [(0, "---\na: 1\n")]
    with pytest.raises(YamlLoadError, match="invalid Yaml document separator"):
        split_documents("a: 1\n--- |\n  x\n")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
def test_a_separator_error_never_quotes_its_line(tmp_path, fmt):
    # Helm's message quotes what follows `---`: that text may be a secret (a flow mapping)
    (tmp_path / "v.yaml").write_text("--- {api: {secrets: {DB_PASSWORD: hunter2SECRETvalueXYZ}}}\n")
    done = cli("check", "-f", "v.yaml", "--format", fmt, cwd=tmp_path)
    assert done.returncode == 1 and "document separator" in done.stdout
    assert "hunter2" not in done.stdout + done.stderr
    done = cli("values", "-f", "v.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "hunter2" not in done.stdout + done.stderr


# --------------------------------------------------------------------------------------------
# Notes: the source of SL103 (duplicates, collisions) and SL104 (YAML 1.1 surprises)


def notes(text, kind=None):
    return [n for n in load_values(text).notes if kind is None or n.kind == kind]


def test_duplicate_key_note_points_at_the_second_key(backend):
    found = notes("api:\n  image: a\n  image: b\n", "duplicate-key")
    assert len(found) == 1
    assert found[0].path == ("api", "image") and lc(found[0].span) == (3, 3)
    assert "duplicate key `image` in `api`" in found[0].message
    assert load_values("api:\n  image: a\n  image: b\n").data == {"api": {"image": "b"}}


def test_same_value_different_spelling_is_a_duplicate_not_a_collision(backend):
    found = notes("m:\n  1: a\n  01: b\n  0x1: c\n")
    assert [n.kind for n in found if n.kind in ("duplicate-key", "key-collision")] == ["duplicate-key"] * 2


def test_keys_of_different_types_collide(backend):
    found = notes('env:\n  "true": a\n  true: b\n', "key-collision")
    assert len(found) == 1 and found[0].path == ("env", "true") and lc(found[0].span) == (3, 3)
    assert "changes from run to run" in found[0].message


def test_explicit_key_before_a_merge_is_reported(backend):
    found = notes("b: &b {x: 1}\nm: {x: 2, <<: *b}\n", "duplicate-key")
    assert len(found) == 1 and "merge key" in found[0].message and lc(found[0].span) == (2, 5)
    assert notes("b: &b {x: 1}\nm: {<<: *b, x: 2}\n", "duplicate-key") == []


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("a: yes\n", "boolean true"),
        ("a: off\n", "boolean false"),
        ("a: Y\n", "boolean true"),
        ("a: 0644\n", "octal number 420"),
        ("a: 0o17\n", "octal number 15"),
        ("a: 1.10\n", "trailing zero"),
        ("a: 9007199254740993\n", "2^53"),
        # a leading zero that Go does not read as octal: a different number all the same
        ("a: 0800\n", "is read as the number 800"),
        ("a: 09.5\n", "is read as the number 9.5"),
        ("a: -019\n", "is read as the number -19"),
        ("a: 08e2\n", "is read as the number 800"),
    ],
)
def test_ambiguous_scalar_notes(text, fragment, backend):
    found = notes(text, "ambiguous-scalar")
    assert len(found) == 1 and fragment in found[0].message
    assert found[0].path == ("a",) and lc(found[0].span) == (1, 4) and found[0].has_fix


@pytest.mark.parametrize(
    "text",
    [
        "a: true\n",
        "a: 'yes'\n",
        "a: \"0644\"\n",
        "a: 1.5\n",
        "a: 0\n",
        "a: !!bool yes\n",
        "a: 0.5\n",
        "a: 00\n",
        "a: \"0800\"\n",
        "a: 800\n",
    ],
)
def test_unambiguous_scalars_have_no_note(text, backend):
    assert notes(text, "ambiguous-scalar") == []


def test_ambiguous_key_note(backend):
    found = notes("env:\n  on: x\n  n: y\n  3.14159265358979: z\n", "ambiguous-key")
    assert [(n.path, lc(n.span)) for n in found] == [
        (("env", "true"), (2, 3)),
        (("env", "false"), (3, 3)),
        (("env", "3.1415927"), (4, 3)),
    ]
    assert 'stores it as "true"' in found[0].message


# --------------------------------------------------------------------------------------------
# Numbers and keys as Helm holds them


def test_numbers_become_float64_printed_like_go():
    assert helm_number(1) == 1 and isinstance(helm_number(1.0), int)
    assert helm_number(12345678901234567890) == 12345678901234567000  # Go's shortest digits
    assert helm_number(9007199254740993) == 9007199254740992
    assert helm_number(1e21) == 1e21 and isinstance(helm_number(1e21), float)
    with pytest.raises(YamlLoadError):
        helm_number(float("inf"))


def test_float_keys_use_float32_precision():
    assert key_to_string(3.14159265358979) == "3.1415927"
    assert key_to_string(1e6) == "1e+06"
    assert key_to_string(123456.7) == "123456.7"
    assert key_to_string(1e40) == ".inf"
    assert key_to_string(True) == "true" and key_to_string(7) == "7"
    with pytest.raises(YamlLoadError, match="uint64"):
        key_to_string(2**63)


# --------------------------------------------------------------------------------------------
# Decoding bytes


def test_decode_utf8_with_and_without_bom():
    assert decode_bytes("a: é\n".encode()) == "a: é\n"
    assert decode_bytes(codecs.BOM_UTF8 + b"a: 1\n") == "a: 1\n"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_decode_utf16_with_bom(encoding):
    bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
    text = decode_bytes(bom + "a: ünï\nb: 2\n".encode(encoding))
    assert load_values(text).data == {"a": "ünï", "b": 2}


def test_not_utf8_is_an_error_with_a_line():
    with pytest.raises(YamlLoadError, match="not UTF-8") as raised:
        decode_bytes(b"a: 1\nb: \xff\xfe\x00x\n")
    assert raised.value.line == 2


@pytest.mark.parametrize("text", ["a: \x00\n", "a: b\x07\n", "a: \x1b[31m\n"])
def test_control_characters_are_load_errors(text, backend):
    with pytest.raises(YamlLoadError):
        load_values(text)


# --------------------------------------------------------------------------------------------
# Hostile input: errors, quickly, in bounded memory, never a crash


def test_billion_laughs_fails_fast_in_bounded_memory(backend):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(YamlLoadError, match="excessive aliasing"):
        load_values("\n".join(lines) + "\n")
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0 and peak < 20 * 1024 * 1024


def test_moderate_aliasing_is_allowed_as_in_helm(backend):
    text = "base: &b {x: 1, y: [1, 2, 3]}\n" + "".join(f"k{i}: *b\n" for i in range(200))
    assert len(load_values(text).data) == 201


def test_recursive_alias_is_an_error(backend):
    with pytest.raises(YamlLoadError):
        load_values("a: &x [1, *x]\n")


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "a: " + "{b: " * 10_000 + "1" + "}" * 10_000 + "\n",
        "".join("  " * i + f"k{i}:\n" for i in range(2_000)) + "  " * 2_000 + "x: 1\n",
    ],
)
def test_deep_nesting_is_an_error_not_a_crash(text, backend):
    started = time.perf_counter()
    with pytest.raises(YamlLoadError, match=f"deeper than {MAX_DEPTH}"):
        load_values(text)
    assert time.perf_counter() - started < 10


def test_python_tags_are_never_constructed(backend, tmp_path):
    marker = tmp_path / "pwned"
    text = f"a: !!python/object/apply:os.system ['touch {marker}']\nb: !!python/name:os.system x\n"
    assert load_values(text).data == {"a": [f"touch {marker}"], "b": "x"}
    assert not marker.exists()


@pytest.mark.parametrize(
    "text,message",
    [
        ("- a\n- b\n", "not a list"),
        ("hello\n", "not a scalar"),
        ("a: [1\n", ""),
        ("a: .inf\n", "Inf"),
        ("a: *nope\n", "unknown anchor"),
        ("~: 1\n", "null key"),
    ],
)
def test_load_errors_have_a_message_and_position(text, message, backend):
    with pytest.raises(YamlLoadError) as raised:
        load_values(text)
    assert message.replace("not a list", "a list").replace("not a scalar", "a scalar") in raised.value.message
    assert raised.value.line >= 1 and raised.value.col >= 1


def test_empty_and_comment_only_files_are_empty_values(backend):
    for text in ("", "\n", "# nothing\n", "---\n", "~\n"):
        loaded = load_values(text)
        assert loaded.data == {} and loaded.documents == 1


def test_document_count_for_the_extra_documents_warning(backend):
    assert load_values("a: 1\n---\nb: 2\n").documents == 2
    assert load_values("a: 1\n---\n").documents == 1  # a trailing separator is no document
    assert load_values("a: 1\n--- [\n").documents == 2  # Helm never reads the broken rest
    assert load_values("a: 1\n--- [\n").data == {"a": 1}


# --------------------------------------------------------------------------------------------
# Size and speed (a generous bound: the point is "not pathological", not a benchmark)


def realistic_values(services: int) -> str:
    out = []
    for i in range(services):
        out.append(f"""service{i}:
  enabled: true
  image:
    repository: registry.example.org/team/app-{i}
    tag: "1.{i}.0"
  replicas: 3
  env:
    - name: LOG_LEVEL
      value: info
  resources:
    limits: {{cpu: 500m, memory: 512Mi}}
  annotations:
    example.org/owner: team-{i}   # who to page
  config: |
    line one {i}
    line two
""")
    return "".join(out)


def test_a_one_megabyte_values_file_loads_in_seconds():
    text = realistic_values(3_000)
    assert 0.9e6 < len(text) < 1.3e6
    started = time.perf_counter()
    loaded = load_values(text)
    elapsed = time.perf_counter() - started
    assert len(loaded.data) == 3_000 and loaded.spans[("service2999", "replicas")].line > 0
    assert elapsed < 8, f"{elapsed:.1f}s for {len(text) / 1e6:.1f} MB"


def test_the_largest_accepted_file_loads(tmp_path):
    """4 MB, the size limit of a values file: loads (slowly on a pure-Python parser) and is linear."""
    text = realistic_values(11_000)
    assert 3.5e6 < len(text) < yamlio.MAX_VALUES_BYTES
    started = time.perf_counter()
    assert len(load_values(text).data) == 11_000
    assert time.perf_counter() - started < 30
