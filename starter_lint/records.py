"""Records: classes declared by their annotated fields, as `dataclasses` declares them, made
cheaply enough for a cold start.

    @record(frozen=True, slots=True)
    class Location:
        path: str
        line: int = 1

gives what `@dataclass(frozen=True, slots=True)` gives: an `__init__` taking the fields in order
(defaults, `field(default_factory=...)`, `field(init=False)`, `__post_init__`), equality and
(frozen) hashing over the fields compared, `order=True`'s comparisons, a repr, `FrozenInstanceError`
on assignment, pickling, `__match_args__`; `fields()` and `replace()` as dataclasses' own. The
type checker reads it as a dataclass (`dataclass_transform`), except that it does not check the
field names and types given to `replace()` (it knows `dataclasses.replace` only). Refused, where
a dataclass would do something else: a record base class (a dataclass takes its fields first),
a field `__init__` does not take in a frozen record with slots (it pickles as a call of its
class). tests/test_records.py holds every kind of record the package declares against the
dataclass it replaces.

Why not dataclasses: it compiles each class's `__init__`, `__repr__`, `__eq__` (and, frozen,
`__hash__`, `__setattr__`, `__delattr__`) from generated source when the class's module is
imported, 0.3 ms a frozen class, 11 ms for the 26 classes a one-release check imports, and it
imports `inspect` (4 ms more, with `ast`, `dis`, `tokenize`): a fifth of a cold run that
kubeconform finishes in 70 ms. A record compiles its `__init__` alone (0.03 ms: the one method
whose speed counts, tens of thousands of findings and objects in a large run); the others are the
same few functions for every record, reading the compared fields with one `attrgetter`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:  # typing's own from Python 3.11; the package runs on 3.10
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_kwargs: Any) -> Callable[[Any], Any]:
        return lambda decorated: decorated


__all__ = ["MISSING", "Field", "FrozenInstanceError", "field", "fields", "record", "replace"]

_T = TypeVar("_T")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # no default given (None is a default)


class FrozenInstanceError(AttributeError):
    """An assignment to (or deletion of) a field of a frozen record."""


class Field:
    """One field of a record: its name, default (or default factory), and whether `__init__`
    takes it, the repr shows it and equality (hash, order) compares it."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Any = MISSING,
        init: bool = True,
        repr: bool = True,  # the name dataclasses gives it
        compare: bool = True,
    ) -> None:
        self.name = ""  # set when the record is made
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r})"


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | Any = MISSING,
    init: bool = True,
    repr: bool = True,  # dataclasses' name, which the type checker reads
    compare: bool = True,
) -> Any:
    """A field's options, as `dataclasses.field`: `name: list = field(default_factory=list)`."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("a field takes a default or a default_factory, not both")
    return Field(default, default_factory, init, repr, compare)


def fields(class_or_record: Any) -> tuple[Field, ...]:
    """A record's fields, in order (as `dataclasses.fields`)."""
    try:
        found: tuple[Field, ...] = class_or_record.__record_fields__
    except AttributeError:
        raise TypeError(f"{class_or_record!r} is not a record or a record class") from None
    return found


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of record `obj` with `changes`, made through its `__init__` (as `dataclasses.replace`:
    a default factory is not called again for a field kept)."""
    for spec in fields(obj):
        if not spec.init:
            if spec.name in changes:
                raise ValueError(f"field {spec.name} is not taken by __init__: replace() cannot set it")
        elif spec.name not in changes:
            changes[spec.name] = getattr(obj, spec.name)
    return obj.__class__(**changes)


@overload
def record(cls: type[_T], /) -> type[_T]: ...


@overload
def record(
    *, frozen: bool = False, order: bool = False, slots: bool = False
) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(field_specifiers=(field, Field))
def record(
    cls: type[_T] | None = None, /, *, frozen: bool = False, order: bool = False, slots: bool = False
) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """`cls` made a record of its annotated fields (as `@dataclass`, with its eq=True default)."""

    def make(cls: type[_T]) -> type[_T]:
        return _make(cls, frozen=frozen, order=order, slots=slots)

    return make if cls is None else make(cls)


def _declared(cls: type) -> list[Field]:
    """The fields `cls`'s own body declares, in order; dataclasses' checks of their defaults."""
    if any(hasattr(base, "__record_fields__") for base in cls.__mro__[1:]):
        # a dataclass would take the base's fields first: a record does not, so says so
        raise TypeError(f"{cls.__name__}: a record does not inherit another record's fields")
    namespace = cls.__dict__
    declared: list[Field] = []
    defaulted = ""
    for name, annotation in namespace.get("__annotations__", {}).items():
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if text.partition("[")[0].rpartition(".")[2] == "ClassVar":  # ClassVar, typing.ClassVar, t.ClassVar
            continue  # a class attribute, not a field
        value = namespace.get(name, MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        spec.name = name
        if type(spec.default).__hash__ is None:  # dataclasses' test: unhashable, so mutable
            raise ValueError(f"{cls.__name__}.{name}: a mutable default is shared; use default_factory")
        if spec.init:
            if spec.default is not MISSING or spec.default_factory is not MISSING:
                defaulted = name
            elif defaulted:
                raise TypeError(
                    f"{cls.__name__}.{name}: a field without a default follows {defaulted}, which has one"
                )
        declared.append(spec)
    return declared


def _make(cls: type[_T], *, frozen: bool, order: bool, slots: bool) -> type[_T]:
    declared = tuple(_declared(cls))
    if slots:
        if frozen and not all(spec.init for spec in declared):
            # it pickles as the class called with its field values (below)
            raise TypeError(f"{cls.__name__}: a frozen record with slots takes every field in __init__")
        cls = _with_slots(cls, declared)
    else:  # the class attribute is the default, as dataclasses leaves it
        for spec in declared:
            if spec.default is MISSING:
                if isinstance(cls.__dict__.get(spec.name), Field):
                    delattr(cls, spec.name)
            else:
                setattr(cls, spec.name, spec.default)
    namespace = dict(cls.__dict__)
    methods: dict[str, Any] = {"__init__": _init(cls, declared, frozen=frozen, slots=slots)}
    compared = _values([spec.name for spec in declared if spec.compare])
    methods["__eq__"] = _comparison(operator.eq, compared)
    if frozen:
        methods["__setattr__"] = _refuse_setattr
        methods["__delattr__"] = _refuse_delattr
    # a frozen record hashes its compared fields; one that can change is unhashable (its hash
    # would change with it); a __hash__ the body writes is kept (not the None Python puts beside
    # a body's own __eq__): as a dataclass with eq=True
    written = namespace.get("__hash__", MISSING)
    if written is MISSING or (written is None and "__eq__" in namespace):
        cls.__hash__ = _hasher(compared) if frozen else None  # type: ignore[assignment,method-assign]
    if order:
        for name, compare in (
            ("__lt__", operator.lt),
            ("__le__", operator.le),
            ("__gt__", operator.gt),
            ("__ge__", operator.ge),
        ):
            methods[name] = _comparison(compare, compared)
    shown = tuple(spec.name for spec in declared if spec.repr)
    methods["__repr__"] = lambda self: _repr(self, shown)
    methods["__match_args__"] = tuple(spec.name for spec in declared if spec.init)
    if slots and frozen:
        every = _values([spec.name for spec in declared])
        methods["__reduce__"] = lambda self: (self.__class__, every(self))
    for name, method in methods.items():
        if name not in namespace:  # what the body defines itself is kept, as dataclasses keeps it
            if callable(method) and method not in (_refuse_setattr, _refuse_delattr):  # (shared)
                method.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, method)
    cls.__record_fields__ = declared  # type: ignore[attr-defined]
    return cls


def _with_slots(cls: type[_T], declared: tuple[Field, ...]) -> type[_T]:
    """`cls` made again with a slot per field (slots exist only from a class's creation): no
    `__dict__` per instance, as `dataclass(slots=True)`."""
    namespace = {
        name: value for name, value in cls.__dict__.items() if name not in ("__dict__", "__weakref__")
    }
    for spec in declared:
        namespace.pop(spec.name, None)
    namespace["__slots__"] = tuple(spec.name for spec in declared)
    maker: Any = type(cls)  # type, or the class's own metaclass
    remade: type[_T] = maker(cls.__name__, cls.__bases__, namespace)
    remade.__qualname__ = cls.__qualname__
    return remade


def _init(cls: type, declared: tuple[Field, ...], *, frozen: bool, slots: bool) -> Callable[..., None]:
    """The record's `__init__`, compiled from source as dataclasses compiles it. A frozen record's
    sets each field through its slot's own descriptor (or object.__setattr__ without slots),
    past the frozen record's refusing __setattr__."""
    scope: dict[str, Any] = {"_MISSING": MISSING, "_object_setattr": object.__setattr__}
    parameters: list[str] = []
    lines: list[str] = []
    for spec in declared:
        name = spec.name  # an identifier of the package's own source: nothing from input
        if spec.default is not MISSING:
            scope[f"_default_{name}"] = spec.default
        if spec.default_factory is not MISSING:
            scope[f"_factory_{name}"] = spec.default_factory
        if spec.init:
            if spec.default is not MISSING:
                parameters.append(f"{name}=_default_{name}")
                value = name
            elif spec.default_factory is not MISSING:
                parameters.append(f"{name}=_MISSING")
                value = f"_factory_{name}() if {name} is _MISSING else {name}"
            else:
                parameters.append(name)
                value = name
        elif spec.default is not MISSING:
            value = f"_default_{name}"
        elif spec.default_factory is not MISSING:
            value = f"_factory_{name}()"
        else:
            continue  # set by __post_init__
        if frozen and slots:
            scope[f"_set_{name}"] = cls.__dict__[name].__set__
            lines.append(f"    _set_{name}(self, {value})")
        elif frozen:
            lines.append(f"    _object_setattr(self, {name!r}, {value})")
        else:
            lines.append(f"    self.{name} = {value}")
    if hasattr(cls, "__post_init__"):
        lines.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(parameters)}):\n" + ("\n".join(lines) or "    pass") + "\n"
    made: dict[str, Any] = {}
    exec(source, scope, made)
    init: Callable[..., None] = made["__init__"]
    return init


def _values(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A tuple of the named attributes' values (one attrgetter; a tuple for one name or none too)."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        (only,) = names
        return lambda obj: (getattr(obj, only),)
    return lambda obj: ()


def _comparison(
    compare: Callable[[Any, Any], bool], values: Callable[[Any], tuple[Any, ...]]
) -> Callable[[Any, Any], Any]:
    """`==` (or an order) of two records of the same class over their compared fields, as a
    dataclass compares them: another class is NotImplemented (Python then tries the other side)."""

    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compare(values(self), values(other))
        return NotImplemented

    return method


def _hasher(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    return lambda self: hash(values(self))


def _refuse_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


_IN_REPR: set[int] = set()  # records being shown: one met again inside itself is shown as "..."


def _repr(obj: Any, shown: tuple[str, ...]) -> str:
    if id(obj) in _IN_REPR:
        return "..."
    _IN_REPR.add(id(obj))
    try:
        return (
            f"{obj.__class__.__qualname__}({', '.join(f'{name}={getattr(obj, name)!r}' for name in shown)})"
        )
    finally:
        _IN_REPR.discard(id(obj))
