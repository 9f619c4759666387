"""records.record gives what dataclasses.dataclass gives, for every kind of class the package
declares with it (starter_lint/records.py says why the package has its own).

Each kind is declared twice in this module, once as a record and once as a dataclass, and the
two are made, compared, hashed, ordered, printed, copied (`replace`), pickled and refused alike.
Then every record class of the package is held against a dataclass made from its own fields.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pickle
import pkgutil
import re

import pytest

import starter_lint
from starter_lint import records
from starter_lint.records import FrozenInstanceError, field, record

from .support import REPO


def _factory_value() -> list:
    return ["made"]


# Each kind, as a record (R…) and as a dataclass (D…), with the same body.
@record(frozen=True, order=True, slots=True)
class RLocation:
    path: str
    line: int = 1
    end: int | None = None


@dataclasses.dataclass(frozen=True, order=True, slots=True)
class DLocation:
    path: str
    line: int = 1
    end: int | None = None


@record(frozen=True)
class RFix:
    description: str
    safe: bool = True
    path: tuple = ()
    value: object = None


@dataclasses.dataclass(frozen=True)
class DFix:
    description: str
    safe: bool = True
    path: tuple = ()
    value: object = None


@record
class RContext:
    target: str
    values: object = None
    loaded: list = field(default_factory=list)
    seen: dict = field(default_factory=_factory_value)
    hidden: object = field(default=None, repr=False)
    cached: object = field(default=None, compare=False, repr=False)


@dataclasses.dataclass
class DContext:
    target: str
    values: object = None
    loaded: list = dataclasses.field(default_factory=list)
    seen: dict = dataclasses.field(default_factory=_factory_value)
    hidden: object = dataclasses.field(default=None, repr=False)
    cached: object = dataclasses.field(default=None, compare=False, repr=False)


@record(slots=True)
class RObject:
    obj: dict
    path: str
    index: int
    verdict: object = field(default=None, compare=False, repr=False)


@dataclasses.dataclass(slots=True)
class DObject:
    obj: dict
    path: str
    index: int
    verdict: object = dataclasses.field(default=None, compare=False, repr=False)


@record
class RAnalysis:
    text: str
    count: int = field(init=False)
    notes: list = field(default_factory=list, init=False)
    level: int = field(default=3, init=False)

    def __post_init__(self) -> None:
        self.count = len(self.text)


@dataclasses.dataclass
class DAnalysis:
    text: str
    count: int = dataclasses.field(init=False)
    notes: list = dataclasses.field(default_factory=list, init=False)
    level: int = dataclasses.field(default=3, init=False)

    def __post_init__(self) -> None:
        self.count = len(self.text)


@record(frozen=True, slots=True)
class ROne:
    only: str


@dataclasses.dataclass(frozen=True, slots=True)
class DOne:
    only: str


@record(frozen=True)
class ROwnEq:  # noqa: PLW1641 (its own __eq__ and no __hash__: what the record does then)
    a: int
    b: int = 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ROwnEq) and self.a == other.a


@dataclasses.dataclass(frozen=True)
class DOwnEq:  # noqa: PLW1641 (the dataclass it is held against)
    a: int
    b: int = 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DOwnEq) and self.a == other.a


KINDS = [
    (RLocation, DLocation, [("a.yaml",), ("a.yaml", 2), ("b.yaml", 1, 3)]),
    (RFix, DFix, [("d",), ("d", False, ("x", 0), {"k": 1})]),
    (RContext, DContext, [("t",), ("t", {"v": 1}, [1]), ("t", None, [], {}, "h", "c")]),
    (RObject, DObject, [({"k": 1}, "m.yaml", 0), ({}, "n.yaml", 2, "verdict")]),
    (RAnalysis, DAnalysis, [("text",), ("other",)]),
    (ROne, DOne, [("x",), ("y",)]),
    (ROwnEq, DOwnEq, [(1,), (1, 2), (2, 2)]),
]


def _shown(made: object) -> str:
    """The repr with the class's name left out (R… and D… name the same kind)."""
    text = re.sub(r" at 0x[0-9a-f]+>", " at ...>", repr(made))  # two objects a factory made
    return text[text.index("(") :]


def _hash(made: object) -> object:
    try:
        return hash(made)
    except TypeError as refused:
        return type(refused)


@pytest.mark.parametrize(("ours", "theirs", "arguments"), KINDS, ids=[k[0].__name__ for k in KINDS])
def test_a_record_is_made_compared_and_printed_as_the_dataclass(ours, theirs, arguments):
    signature = [(p.name, p.kind, p.default) for p in inspect.signature(ours).parameters.values()]
    expected = [(p.name, p.kind, p.default) for p in inspect.signature(theirs).parameters.values()]
    factories = {f.name for f in dataclasses.fields(theirs) if f.default_factory is not dataclasses.MISSING}
    assert [s[:2] for s in signature] == [e[:2] for e in expected]
    assert [s[2] for s in signature if s[0] not in factories] == [
        e[2] for e in expected if e[0] not in factories
    ]
    assert [spec.name for spec in records.fields(ours)] == [f.name for f in dataclasses.fields(theirs)]
    ours_made = [ours(*args) for args in arguments]
    theirs_made = [theirs(*args) for args in arguments]
    assert [_shown(m) for m in ours_made] == [_shown(m) for m in theirs_made]
    assert [_hash(m) for m in ours_made] == [_hash(m) for m in theirs_made]  # same values, same hash
    assert hasattr(ours_made[0], "__dict__") == hasattr(theirs_made[0], "__dict__")
    for i, (a, b) in enumerate(zip(ours_made, theirs_made, strict=True)):
        for j, (c, d) in enumerate(zip(ours_made, theirs_made, strict=True)):
            assert (a == c, a != c) == (b == d, b != d), (i, j)
            if "__lt__" in vars(theirs):
                assert (a < c, a <= c, a > c, a >= c) == (b < d, b <= d, b > d, b >= d)
        assert a != b and (a == object()) is False  # another class is never equal
        assert [getattr(a, f.name) for f in dataclasses.fields(theirs)] == [
            getattr(b, f.name) for f in dataclasses.fields(theirs)
        ]
        copy = pickle.loads(pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(copy) is ours and _shown(copy) == _shown(a) and copy == a
        changed = {f.name: "changed" for f in dataclasses.fields(theirs)[:1] if f.init}
        assert _shown(records.replace(a, **changed)) == _shown(dataclasses.replace(b, **changed))
        assert _shown(records.replace(a)) == _shown(a) and records.replace(a) is not a
    if "__lt__" not in vars(theirs):
        with pytest.raises(TypeError):
            ours_made[0] < ours_made[-1]  # noqa: B015 (no order unless asked)


def test_defaults_made_by_a_factory_are_new_for_each_record():
    first, second = RContext("a"), RContext("b")
    assert first.loaded == [] and first.loaded is not second.loaded
    assert first.seen == ["made"] and first.seen is not second.seen
    assert RContext("a", loaded=[1]).loaded == [1]
    assert RAnalysis("abc").count == 3 and RAnalysis("abc").notes == [] and RAnalysis("abc").level == 3
    assert RContext.values is None and "target" not in vars(RContext)  # class attributes as dataclasses'


@pytest.mark.parametrize("made", [RLocation("a"), RFix("d"), ROne("x")], ids=repr)
def test_a_frozen_record_refuses_assignment_and_deletion(made):
    name = records.fields(made)[0].name
    with pytest.raises(FrozenInstanceError) as refused:
        setattr(made, name, "other")
    assert isinstance(refused.value, AttributeError)  # what code catching dataclasses' error catches
    with pytest.raises(FrozenInstanceError):
        delattr(made, name)
    with pytest.raises(FrozenInstanceError):
        made.unknown = 1  # type: ignore[attr-defined]
    assert getattr(made, name) != "other"


def test_match_class_annotations_and_a_record_inside_itself_as_dataclasses():
    assert RLocation.__match_args__ == DLocation.__match_args__ == ("path", "line", "end")
    assert RAnalysis.__match_args__ == DAnalysis.__match_args__ == ("text",)
    match RLocation("a.yaml", 3):
        case RLocation(path, line):
            assert (path, line) == ("a.yaml", 3)
    body = {"__annotations__": {"a": "int", "shared": "t.ClassVar[int]", "other": "typing.ClassVar"}}
    assert [spec.name for spec in records.fields(record(type("R", (), body)))] == ["a"]
    ours, theirs = RContext("t"), DContext("t")
    ours.values, theirs.values = ours, theirs
    assert _shown(ours) == _shown(theirs) == "(target='t', values=..., loaded=[], seen=['made'])"


def test_replace_refuses_what_init_does_not_take():
    with pytest.raises(ValueError, match="count"):
        records.replace(RAnalysis("abc"), count=1)
    with pytest.raises(TypeError):
        records.replace(RFix("d"), bogus=1)
    with pytest.raises(TypeError, match="not a record"):
        records.fields(object())


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"__annotations__": {"a": "list"}, "a": []}, ValueError),  # one list shared by all
        ({"__annotations__": {"a": "bytearray"}, "a": bytearray()}, ValueError),  # any unhashable
        ({"__annotations__": {"a": "int", "b": "int"}, "a": 1}, TypeError),  # required after a default
    ],
    ids=["mutable default", "unhashable default", "required after default"],
)
def test_a_record_is_refused_what_a_dataclass_is_refused(body, error):
    with pytest.raises(error):
        record(type("R", (), dict(body)))
    with pytest.raises(error):
        dataclasses.dataclass(type("D", (), dict(body)))


def test_a_field_takes_a_default_or_a_factory_as_dataclasses_field():
    with pytest.raises(ValueError):
        field(default=1, default_factory=int)
    with pytest.raises(ValueError):
        dataclasses.field(default=1, default_factory=int)


def test_a_record_is_refused_a_record_base():
    """A dataclass would take the base's fields first; a record says it does not."""
    with pytest.raises(TypeError, match="inherit"):
        record(type("Sub", (RFix,), {"__annotations__": {"extra": "int"}, "extra": 0}))


def test_a_frozen_record_with_slots_takes_every_field():
    """It is pickled as its class called with every field's value: a field __init__ does not take
    would have no way back."""
    body = {"__annotations__": {"a": "int", "b": "int"}, "b": field(default=0, init=False)}
    with pytest.raises(TypeError, match="every field"):
        record(frozen=True, slots=True)(type("R", (), body))


def _package_records() -> list[type]:
    found = {}
    for module in pkgutil.walk_packages(starter_lint.__path__, "starter_lint."):
        if module.name.endswith("__main__"):
            continue  # it runs the command line
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, type) and "__record_fields__" in vars(value):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


PACKAGE_RECORDS = _package_records()


def test_the_package_has_its_records():
    names = {cls.__qualname__ for cls in PACKAGE_RECORDS}
    assert {"Finding", "Location", "Options", "ManifestObject", "Target", "LoadedYaml"} <= names
    assert len(PACKAGE_RECORDS) > 60


@pytest.mark.parametrize("ours", PACKAGE_RECORDS, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_each_record_of_the_package_is_its_dataclass(ours):
    """A dataclass made from the record's own fields and options: the same __init__ and, for a
    record made with distinct values, the same repr, equality and hash."""
    frozen = ours.__setattr__ is records._refuse_setattr
    slots = "__slots__" in vars(ours)
    order = "__lt__" in vars(ours)
    specs = records.fields(ours)
    theirs = dataclasses.make_dataclass(
        ours.__name__,
        [
            (
                spec.name,
                object,
                dataclasses.field(
                    default=spec.default if spec.default is not records.MISSING else dataclasses.MISSING,
                    default_factory=(
                        spec.default_factory
                        if spec.default_factory is not records.MISSING
                        else dataclasses.MISSING
                    ),
                    init=spec.init,
                    repr=spec.repr,
                    compare=spec.compare,
                ),
            )
            for spec in specs
        ],
        frozen=frozen,
        order=order,
        slots=slots,
    )
    signature = [(p.name, p.kind) for p in inspect.signature(ours).parameters.values()]
    assert signature == [(p.name, p.kind) for p in inspect.signature(theirs).parameters.values()]
    if hasattr(ours, "__post_init__"):
        return  # it reads its fields: distinct numbers would not do
    required = [
        spec.name
        for spec in specs
        if spec.init and spec.default is records.MISSING and spec.default_factory is records.MISSING
    ]
    values = {name: (i, f"value {i}") for i, name in enumerate(required)}
    a, b = ours(**values), theirs(**values)
    assert _shown(a) == _shown(b)
    assert _hash(a) == _hash(b)
    assert (a == ours(**values)) == (b == theirs(**values))  # False where a factory's objects differ
    assert hasattr(a, "__dict__") == hasattr(b, "__dict__")
    if not any(type(spec.default) is object for spec in specs):  # a sentinel is itself only here
        copy = pickle.loads(pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL))
        assert (copy == a) == (b == theirs(**values)) and _shown(copy) == _shown(a)


def test_no_module_of_the_package_imports_dataclasses():
    """Records replace it (records.py says why: a fifth of a cold run's time); a dataclass added
    back would bring the cost back with it, unseen."""
    importing = []
    for path in sorted((REPO / "starter_lint").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if "dataclasses" in names:
                importing.append(str(path.relative_to(REPO)))
    assert importing == []
