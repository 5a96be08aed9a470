"""The one Jinja environment: strict undefined, trailing newline kept, our own serialising filters."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from khaosobs.output import FileKind, OutputFile
from khaosobs.output.python_proof import CompiledModule, compiles_like
from khaosobs.output.serialise import (
    comment_text,
    json_text,
    python_literal,
    sorted_json,
    yaml_block,
    yaml_key,
    yaml_value,
)


class RenderBug(Exception):
    """A rendered file is not what its kind requires: a bug in khaosobs or in an override template."""


def builtin_templates() -> Path:
    # found from the package's root, not this module's folder: the module may move within the package
    import khaosobs

    package = Path(khaosobs.__file__).parent
    packaged = package / "templates"  # inside the wheel
    if packaged.is_dir():
        return packaged
    return package.parent / "templates"  # source checkout / editable install


def make_environment(override_dir: Path | None = None) -> jinja2.Environment:
    """The template environment; the built-in one is made once per process, so each template is
    compiled once however many times a process renders (tests, a long-lived caller)."""
    return _builtin_environment() if override_dir is None else _environment(override_dir)


@functools.cache
def _builtin_environment() -> jinja2.Environment:
    return _environment(None)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja's environment, with `a.b` on the plain dicts targets pass looked up as Jinja would,
    without the exception: Jinja tries the attribute first and takes the item after its
    AttributeError, an exception for every field of every rule of a large render."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        # a dict has no attribute but its class's: any other name is the item, or undefined
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _environment(override_dir: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if override_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(override_dir)))
    loaders.append(jinja2.FileSystemLoader(str(builtin_templates())))
    env = _Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        auto_reload=False,  # templates do not change while we run: no stat of the file per rendered file
    )
    env.filters["yaml"] = yaml_value
    env.filters["yaml_block"] = yaml_block
    env.filters["yaml_key"] = yaml_key
    env.filters["json"] = json_text
    env.filters["comment"] = comment_text
    env.filters["python"] = python_literal
    return env


@dataclass
class Renderer:
    """Renders templates for the targets, and proves a file parses back before it is written."""

    env: jinja2.Environment
    spec_source: str  # the spec's path(s) relative to the working directory, for headers
    # target name -> (the spec, its files of this render), kept for a target that embeds them
    # (`khaosobs.targets.embedded_files`)
    kept: dict[str, tuple[object, list[OutputFile]]] = field(default_factory=dict)
    # per template, the first Python module of it that compiled (None: not one to compare with):
    # the template's other modules are proven against it (khaosobs.output.python_proof)
    compiled_modules: dict[str, CompiledModule | None] = field(default_factory=dict, repr=False, compare=False)
    # (template, name) -> whether the template's whole text is `{{ name | json }}` and a newline
    plain_json: dict[tuple[str, str], bool] = field(default_factory=dict, repr=False, compare=False)

    def file(self, target: str, template: str, path: str, kind: FileKind, **context: Any) -> OutputFile:
        """Render `template` with `context` into the file at `path`, to be parsed back as `kind`
        (`prove`) before it is written."""
        try:
            text = self.env.get_template(template).render(spec_source=self.spec_source, **context)
        except jinja2.TemplateError as exc:
            raise RenderBug(f"template {template} failed for {path}: {exc}") from exc
        return OutputFile(path, _normalised(text), target, kind, template)

    def sorted_json_file(self, target: str, template: str, path: str, name: str, value: Any) -> OutputFile:
        """The JSON file `template` makes of `value` (passed as `name`) with its keys in alphabetical
        order at every level, to be proven as JSON."""
        if self._only_serialises(template, name):
            # the very text that template writes, from one orjson call: no sorted copy of the value,
            # no Jinja, no second pass over the text (a large render's dashboards spent a sixth of
            # their time there, and `render --check` compares them all)
            return OutputFile(path, json_text(value, sort_keys=True) + "\n", target, "json", template)
        return self.file(target, template, path, "json", **{name: sorted_json(value)})

    def _only_serialises(self, template: str, name: str) -> bool:
        """Whether `template` (built-in or overridden) is exactly `{{ name | json }}` and a newline,
        in an environment whose `json` filter is ours: then its text is `json_text` of the value."""
        known = self.plain_json.get((template, name))
        if known is None:
            try:
                assert self.env.loader is not None
                source = self.env.loader.get_source(self.env, template)[0]
            except jinja2.TemplateNotFound:
                source = None  # `file` reports it
            known = (source == "{{ " + name + " | json }}\n" and self.env.keep_trailing_newline
                     and self.env.filters.get("json") is json_text)
            self.plain_json[(template, name)] = known
        return known

    def prove(self, file: OutputFile) -> None:
        """Parse `file` back as its consumer would; RenderBug when it does not parse."""
        if file.kind == "python":
            self.finish_python(file.content, file.path, file.template)
        else:
            parse_back(file.content, file.path, file.kind)

    def finish_python(self, text: str, path: str, template: str) -> str:
        """A Python module of `template`, proven: compiled, unless it provably compiles
        because a module of the same template did."""
        text = _normalised(text)
        compiled = self.compiled_modules.get(template)
        if compiled is not None and compiles_like(text, compiled):
            return text
        parse_back(text, path, "python")
        if template not in self.compiled_modules:
            self.compiled_modules[template] = CompiledModule.of(text)
        return text


def _normalised(text: str) -> str:
    text = text.replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n"
    return text


def parse_back(text: str, path: str, kind: FileKind) -> Any:
    """Parse a rendered file as its consumer would; a failure is a bug, never a user error."""
    try:
        if kind == "yaml":
            import yaml_rs  # a Rust parser: 15x faster than PyYAML's C loader for this check

            return yaml_rs.loads(text, parse_datetime=False)
        if kind == "json":
            import orjson

            return orjson.loads(text)
        if kind == "python":
            return compile(text, path, "exec")
    except Exception as exc:
        raise RenderBug(f"rendered {path} does not parse as {kind}: {exc}") from exc
    return None
