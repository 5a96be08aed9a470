"""The spec model's machinery: plain slotted classes, validated without pydantic when valid.

Why not pydantic models directly: building 60 pydantic classes costs about 110 ms at start-up
(its schema generation plus the imports it needs), more than the rest of `khaosobs validate` on
a small spec. Here a model class costs next to nothing to define. A valid spec (the usual case)
is validated by `_FastValidator`, which accepts only what pydantic's strict mode accepts, with
the same values. Anything it does not accept, or is not sure of, goes to a pydantic mirror of the
same classes (`_mirror`), built on first use: it raises pydantic's `ValidationError`, whose items
`khaosobs.spec.structure` turns into findings, exactly as before. pydantic stays the one judge of
an invalid spec and the author of the JSON Schema; `tests/spec/test_modelkit.py` checks that
both paths agree.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Literal, Union, dataclass_transform, get_args, get_origin

_MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()


class FieldInfo:
    """What a field declares; `annotation` is the resolved type, once the class is resolved."""

    __slots__ = ("alias", "annotation", "default", "default_factory", "description", "name", "source_annotation")

    def __init__(self, default: Any = _MISSING, *, default_factory: Callable[[], Any] | None = None,
                 alias: str | None = None, description: str | None = None) -> None:
        self.name = ""
        self.alias = alias
        self.annotation: Any = None
        self.source_annotation: Any = None  # as written (a string: the model module postpones annotations)
        self.default = default
        self.default_factory = default_factory
        self.description = description

    def is_required(self) -> bool:
        return self.default is _MISSING and self.default_factory is None

    @property
    def key(self) -> str:
        """The key a spec file uses."""
        return self.alias or self.name


def Field(default: Any = _MISSING, *, default_factory: Callable[[], Any] | None = None,
          alias: str | None = None, description: str | None = None) -> Any:
    return FieldInfo(default, default_factory=default_factory, alias=alias, description=description)


class _Reject(Exception):
    """The fast path does not accept this input; pydantic will say why (or accept it after all)."""


class ModelMeta(type):
    """Slots from the annotations (fields use less memory and are read as fast as pydantic's)."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> ModelMeta:
        own: dict[str, FieldInfo] = {}
        for field_name, annotation in namespace.get("__annotations__", {}).items():
            if field_name.startswith("_") or (isinstance(annotation, str) and annotation.startswith("ClassVar")):
                continue
            value = namespace.pop(field_name, _MISSING)
            info = value if isinstance(value, FieldInfo) else FieldInfo(value)
            info.name = field_name
            info.source_annotation = annotation
            own[field_name] = info
        namespace["__slots__"] = tuple(own) if bases else ("_source",)
        namespace["_own_fields"] = own
        return super().__new__(mcs, name, bases, namespace, **kwargs)

    @property
    def model_fields(cls) -> dict[str, FieldInfo]:
        """Every field, base classes' first (pydantic's order), with resolved annotations."""
        fields = cls.__dict__.get("_fields")
        if fields is None:
            fields = _resolve(cls)
        return fields


def _resolve(cls: Any) -> dict[str, FieldInfo]:
    fields: dict[str, FieldInfo] = {}
    for klass in reversed(cls.__mro__):
        scope = vars(sys.modules[klass.__module__])
        for field_name, info in klass.__dict__.get("_own_fields", {}).items():
            if info.annotation is None:
                written = info.source_annotation  # a string, evaluated in the module that wrote it
                info.annotation = eval(written, scope) if isinstance(written, str) else written
            fields[field_name] = info
    cls._fields = fields
    return fields


@dataclass_transform(kw_only_default=True, field_specifiers=(Field, FieldInfo))
class Model(metaclass=ModelMeta):
    """A spec object: strict types, no unknown key (as pydantic's `extra="forbid", strict=True`)."""

    _own_fields: ClassVar[dict[str, FieldInfo]]
    _fields: ClassVar[dict[str, FieldInfo]]
    _source: dict[str, Any]  # what it was validated from: its keys tell which fields were given

    def __init__(self, **data: Any) -> None:
        try:
            _validator(type(self)).fill(self, data)
        except _Reject:
            validated = type(self).model_validate(data)  # pydantic's ValidationError, as its constructor's
            for name in type(self).model_fields:
                setattr(self, name, getattr(validated, name))
            self._source = validated._source

    @classmethod
    def model_validate(cls, data: Any, *, strict: bool | None = None) -> typing.Self:
        if strict is not False:
            try:
                return _validator(cls).model(data)  # type: ignore[return-value]
            except _Reject:
                pass
        # pydantic raises its ValidationError here, or (not expected) accepts what we did not
        mirrored = _mirror(cls).model_validate(data, strict=strict)
        return _from_mirror(mirrored)  # type: ignore[no-any-return]

    @classmethod
    def model_construct(cls, **values: Any) -> typing.Self:
        """An instance of `values` as they are, defaults for the fields not given, nothing checked
        (pydantic's `model_construct`): for objects khaosobs builds itself from a validated spec
        (the overview dashboards' panels, thousands per render), never for input. What they hold is
        checked by the tests (`tests/spec/test_modelkit.py`) and by the outputs' schemas."""
        instance = cls.__new__(cls)
        for name, _key, _checker, default, factory in _validator(cls).plan:
            value = values.get(name, _MISSING)
            if value is _MISSING:
                value = default if factory is None else factory()
            setattr(instance, name, value)
        instance._source = values
        return instance

    @classmethod
    def model_json_schema(cls, *, by_alias: bool = True, mode: Literal["validation", "serialization"] = "validation",
                          ) -> dict[str, Any]:
        return _mirror(cls).model_json_schema(by_alias=by_alias, mode=mode)  # type: ignore[no-any-return]

    @property
    def model_fields_set(self) -> set[str]:
        given = self._source
        return {name for name, info in type(self).model_fields.items() if name in given or info.key in given}

    def model_dump(self, *, by_alias: bool = False, exclude_none: bool = False,
                   exclude_unset: bool = False) -> dict[str, Any]:
        given = self.model_fields_set if exclude_unset else None
        out: dict[str, Any] = {}
        for name, info in type(self).model_fields.items():
            if given is not None and name not in given:
                continue
            value = getattr(self, name)
            if exclude_none and value is None:
                continue
            out[info.key if by_alias else name] = _dumped(value, by_alias, exclude_none, exclude_unset)
        return out

    def model_copy(self, *, update: dict[str, Any] | None = None) -> typing.Self:
        """A shallow copy, `update` set as given (not validated, as pydantic's)."""
        cls = type(self)
        copied = cls.__new__(cls)
        for name in cls.model_fields:
            object.__setattr__(copied, name, getattr(self, name))
        copied._source = dict(self._source)
        for name, value in (update or {}).items():
            setattr(copied, name, value)
            copied._source[name] = value
        return copied

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in type(self).model_fields)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value: as pydantic's models

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).model_fields)
        return f"{type(self).__name__}({shown})"


def _dumped(value: Any, by_alias: bool, exclude_none: bool, exclude_unset: bool) -> Any:
    if isinstance(value, Model):
        return value.model_dump(by_alias=by_alias, exclude_none=exclude_none, exclude_unset=exclude_unset)
    if isinstance(value, list):
        return [_dumped(item, by_alias, exclude_none, exclude_unset) for item in value]
    if isinstance(value, dict):
        return {key: _dumped(item, by_alias, exclude_none, exclude_unset) for key, item in value.items()}
    return value


# --- the fast path --------------------------------------------------------------------------------

Check = Callable[[Any], Any]


class _FastValidator:
    """Checks and builds one model class from a mapping, as pydantic's strict mode would."""

    def __init__(self, cls: type[Model]) -> None:
        self.cls = cls
        self.plan: list[tuple[str, str, Check, Any, Callable[[], Any] | None]] = []
        self.aliased: list[str] = []  # `for_` where the file says `for`
        for name, info in cls.model_fields.items():
            self.plan.append((name, info.key, _check(info.annotation), info.default, info.default_factory))
            if info.key != name:
                self.aliased.append(name)

    def model(self, data: Any) -> Model:
        if type(data) is not dict:
            if isinstance(data, self.cls):
                return data  # an instance is taken as it is (pydantic's revalidate_instances="never")
            raise _Reject
        instance = self.cls.__new__(self.cls)
        self.fill(instance, data)
        return instance

    def fill(self, instance: Model, data: dict[str, Any]) -> None:
        for name in self.aliased:
            if name in data:
                raise _Reject  # a field by its Python name: pydantic's populate_by_name decides
        found = 0
        for name, key, check, default, factory in self.plan:
            value = data.get(key, _MISSING)
            if value is not _MISSING:
                found += 1
                value = check(value)
            elif factory is not None:
                value = factory()
            elif default is _MISSING:
                raise _Reject  # a required field is missing
            else:
                value = default
            setattr(instance, name, value)
        if found != len(data):
            raise _Reject  # an unknown key
        instance._source = data


_VALIDATORS: dict[type[Model], _FastValidator] = {}


def _validator(cls: type[Model]) -> _FastValidator:
    validator = _VALIDATORS.get(cls)
    if validator is None:
        validator = _VALIDATORS[cls] = _FastValidator(cls)
    return validator


def _exact(kind: type) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise _Reject
        return value
    return check


def _float(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return value
    if kind is int:
        return float(value)  # strict floats take ints, as floats
    raise _Reject


def _literal(values: tuple[Any, ...]) -> Check:
    allowed = {(type(value), value) for value in values}
    kinds = {type(value) for value in values}  # hashable: a list given is refused before the lookup

    def check(value: Any) -> Any:
        if type(value) not in kinds or (type(value), value) not in allowed:
            raise _Reject
        return value
    return check


def _list_of(item: Check) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not list:
            raise _Reject
        return [item(element) for element in value]
    return check


def _str_list(value: Any) -> Any:
    if type(value) is not list:
        raise _Reject
    for element in value:
        if type(element) is not str:
            raise _Reject
    return list(value)


def _dict_of(key: Check, item: Check) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not dict:
            raise _Reject
        return {key(name): item(element) for name, element in value.items()}
    return check


def _str_dict(value: Any) -> Any:
    if type(value) is not dict:
        raise _Reject
    for name, element in value.items():
        if type(name) is not str or type(element) is not str:
            raise _Reject
    return dict(value)


def _optional(inner: Check) -> Check:
    def check(value: Any) -> Any:
        return None if value is None else inner(value)
    return check


def _first_of(members: list[Check]) -> Check:
    # the members of every union in the model accept disjoint Python types (see _check), so the
    # first that accepts is the one pydantic's smart union picks
    def check(value: Any) -> Any:
        for member in members:
            try:
                return member(value)
            except _Reject:
                continue
        raise _Reject
    return check


def _model_check(cls: type[Model]) -> Check:
    def check(value: Any) -> Any:
        return _validator(cls).model(value)
    return check


def _check(annotation: Any) -> Check:
    if annotation is str or annotation is bool or annotation is int:
        return _exact(annotation)
    if annotation is float:
        return _float
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return _model_check(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return _literal(args)
    if origin is list:
        return _str_list if args[0] is str else _list_of(_check(args[0]))
    if origin is dict:
        return _str_dict if args == (str, str) else _dict_of(_check(args[0]), _check(args[1]))
    if origin in (Union, types.UnionType):
        members = [arg for arg in args if arg is not type(None)]
        if float in members and int not in members and len(members) > 1:
            raise TypeError(f"{annotation}: a float beside other types takes ints; not a fast-path union")
        # int before float: an int given to `int | float` stays an int, as in pydantic's smart union
        members.sort(key=lambda arg: arg is float)
        inner = _check(members[0]) if len(members) == 1 else _first_of([_check(arg) for arg in members])
        return _optional(inner) if type(None) in args else inner
    raise TypeError(f"the model's fast path has no check for {annotation!r}")


# --- pydantic: the judge of invalid input, and the JSON Schema --------------------------------------

_MIRRORS: dict[type[Model], Any] = {}


def _mirror(cls: type[Model]) -> Any:
    """The pydantic model of `cls` (and of every model class of its module, which it may refer to)."""
    if cls not in _MIRRORS:
        _build_mirrors(sys.modules[cls.__module__])
    return _MIRRORS[cls]


def _model_classes(module: types.ModuleType) -> Iterator[type[Model]]:
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Model) and value is not Model \
                and value.__module__ == module.__name__:
            yield value


def _build_mirrors(module: types.ModuleType) -> None:
    import pydantic

    # the mirrors live in a module of their own, so that the names in their annotations (kept as
    # written) resolve to mirrors, and the type aliases (MetricType, ...) to the model module's
    home = types.ModuleType(module.__name__ + "._pydantic")
    home.__dict__.update({name: value for name, value in vars(module).items() if not name.startswith("__")})
    sys.modules[home.__name__] = home
    config = pydantic.ConfigDict(extra="forbid", strict=True, populate_by_name=True, defer_build=True)
    built: dict[type[Model], Any] = {}
    for cls in _model_classes(module):
        body: dict[str, Any] = {"__module__": home.__name__, "__qualname__": cls.__qualname__,
                                "__doc__": cls.__dict__.get("__doc__"), "model_config": config,
                                "__annotations__": {}}
        for name, info in cls.model_fields.items():
            body["__annotations__"][name] = info.source_annotation
            arguments: dict[str, Any] = {}
            if info.alias is not None:
                arguments["alias"] = info.alias
            if info.description is not None:
                arguments["description"] = info.description
            if info.default_factory is not None:
                arguments["default_factory"] = info.default_factory
            elif info.default is not _MISSING:
                arguments["default"] = info.default
            body[name] = pydantic.Field(**arguments)
        metaclass: Any = type(pydantic.BaseModel)
        built[cls] = mirror = metaclass(cls.__name__, (pydantic.BaseModel,), body)
        setattr(home, cls.__name__, mirror)
    for mirror in built.values():
        mirror.model_rebuild()
    _MIRRORS.update(built)
    _FROM_MIRROR.update({mirror: cls for cls, mirror in built.items()})


_FROM_MIRROR: dict[Any, type[Model]] = {}


def _from_mirror(value: Any) -> Any:
    cls = _FROM_MIRROR.get(type(value))
    if cls is not None:
        instance = cls.__new__(cls)
        for name in cls.model_fields:
            object.__setattr__(instance, name, _from_mirror(getattr(value, name)))
        instance._source = dict.fromkeys(value.model_fields_set, True)
        return instance
    if isinstance(value, list):
        return [_from_mirror(item) for item in value]
    if isinstance(value, dict):
        return {key: _from_mirror(item) for key, item in value.items()}
    return value
