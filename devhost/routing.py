"""ASP.NET-style route templates as HTTP triggers use them: `items/{id:int}`, `{id?}`, `{*rest}`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")

ALL_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")


class RouteTemplateError(Exception):
    def __init__(self, template: str, reason: str) -> None:
        super().__init__(f"route template {template!r}: {reason}")
        self.template = template


_PARAM = re.compile(r"\{([^{}]+)\}")


def _is_int(text: str, bits: int) -> bool:
    try:
        value = int(text, 10)
    except ValueError:
        return False
    return -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _constraint(template: str, spec: str) -> Callable[[str], bool]:
    """One ASP.NET route constraint (the ones documented for Functions routes)."""
    name, _, arg = spec.partition("(")
    arg = arg[:-1] if arg.endswith(")") else arg
    simple: dict[str, Callable[[str], bool]] = {
        "int": lambda v: _is_int(v, 32),
        "long": lambda v: _is_int(v, 64),
        "bool": lambda v: v.lower() in ("true", "false"),
        "guid": _is_guid,
        "alpha": lambda v: bool(re.fullmatch(r"[A-Za-z]+", v)),
        "float": _is_float,
        "double": _is_float,
        "decimal": _is_float,
        "datetime": _is_datetime,
    }
    if name in simple and not arg:
        return simple[name]
    try:
        if name == "minlength":
            return lambda v: len(v) >= int(arg)
        if name == "maxlength":
            return lambda v: len(v) <= int(arg)
        if name == "length":
            if "," in arg:
                lo, hi = (int(x) for x in arg.split(","))
                return lambda v: lo <= len(v) <= hi
            return lambda v: len(v) == int(arg)
        if name == "min":
            return lambda v: _is_int(v, 64) and int(v) >= int(arg)
        if name == "max":
            return lambda v: _is_int(v, 64) and int(v) <= int(arg)
        if name == "range":
            lo, hi = (int(x) for x in arg.split(","))
            return lambda v: _is_int(v, 64) and lo <= int(v) <= hi
        if name == "regex":
            pattern = re.compile(arg, re.IGNORECASE)
            return lambda v: pattern.search(v) is not None
    except ValueError as exc:
        raise RouteTemplateError(template, f"bad constraint argument in {spec!r}") from exc
    raise RouteTemplateError(template, f"unknown constraint {spec!r}")


@dataclass
class _Param:
    name: str
    group: str
    constraints: list[Callable[[str], bool]]
    optional: bool
    catch_all: bool


@dataclass
class RouteTemplate:
    """A compiled template; `match(path)` gives the route parameters or None."""

    template: str
    regex: re.Pattern[str]
    params: list[_Param]
    precedence: tuple[int, ...]

    @classmethod
    def compile(cls, template: str, prefix: str = "") -> RouteTemplate:
        full = "/".join(part for part in (prefix.strip("/"), template.strip("/")) if part)
        segments = full.split("/") if full else []
        pattern = ""
        params: list[_Param] = []
        precedence: list[int] = []
        for index, segment in enumerate(segments):
            is_last = index == len(segments) - 1
            seg_regex, seg_params = cls._segment(template, segment, len(params), is_last)
            params.extend(seg_params)
            whole_param = len(seg_params) == 1 and _PARAM.fullmatch(segment) is not None
            if whole_param and (seg_params[0].optional or seg_params[0].catch_all):
                # `/{id?}` and `/{*rest}` may be absent together with their slash.
                pattern += f"(?:/{seg_regex})?"
            else:
                pattern += f"/{seg_regex}"
            # ASP.NET precedence: literal < constrained parameter < parameter < catch-all (lower sorts first).
            if not seg_params:
                precedence.append(0)
            elif seg_params[0].catch_all:
                precedence.append(4)
            else:
                precedence.append(1 if seg_params[0].constraints else 2)
        regex = re.compile(f"^{pattern}/?$" if pattern else "^/?$", re.IGNORECASE | re.DOTALL)
        return cls(template=template, regex=regex, params=params, precedence=tuple(precedence))

    @staticmethod
    def _segment(template: str, segment: str, offset: int, is_last: bool) -> tuple[str, list[_Param]]:
        out = ""
        params: list[_Param] = []
        pos = 0
        for match in _PARAM.finditer(segment):
            out += re.escape(segment[pos : match.start()])
            pos = match.end()
            spec = match.group(1).strip()
            catch_all = spec.startswith("*")
            spec = spec.lstrip("*")
            optional = spec.endswith("?")
            spec = spec.rstrip("?")
            name, *constraint_specs = _split_constraints(spec)
            if "=" in name:
                # Default values (`{id=5}`) make the parameter optional; the default itself is not applied.
                name = name.split("=", 1)[0]
                optional = True
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise RouteTemplateError(template, f"bad parameter name {name!r}")
            if catch_all and not is_last:
                raise RouteTemplateError(template, "a catch-all parameter must be the last segment")
            group = f"p{offset + len(params)}"
            params.append(
                _Param(
                    name=name,
                    group=group,
                    constraints=[_constraint(template, c) for c in constraint_specs],
                    optional=optional or catch_all,
                    catch_all=catch_all,
                )
            )
            # Greedy: ASP.NET matches complex segments right to left, so `{name}.{ext}` splits at the last dot.
            body = ".*" if catch_all else "[^/]+"
            out += f"(?P<{group}>{body})"
        out += re.escape(segment[pos:])
        if "{" in segment[pos:] or "}" in segment[pos:]:
            raise RouteTemplateError(template, f"unbalanced braces in segment {segment!r}")
        return out, params

    def match(self, path: str) -> dict[str, str] | None:
        found = self.regex.match(path)
        if found is None:
            return None
        values: dict[str, str] = {}
        for param in self.params:
            value = found.group(param.group)
            if value is None or value == "":
                if not param.optional:
                    return None
                continue
            if not all(check(value) for check in param.constraints):
                return None
            values[param.name] = value
        return values


def _split_constraints(spec: str) -> list[str]:
    """`id:int:min(1)` -> ["id", "int", "min(1)"], keeping colons inside `regex(...)`."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in spec:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == ":" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


@dataclass
class Route(Generic[T]):
    template: RouteTemplate
    methods: frozenset[str]
    target: T


@dataclass
class RouteMatch(Generic[T]):
    target: T | None
    params: dict[str, str] = field(default_factory=dict)
    allowed_methods: frozenset[str] = frozenset()
    """Methods other routes at this path accept (for 405 responses when `target` is None)."""


class RouteTable(Generic[T]):
    def __init__(self, routes: Iterable[Route[T]]) -> None:
        # Most specific first, as ASP.NET orders by precedence, then by declaration order.
        self.routes = sorted(routes, key=lambda r: r.template.precedence)

    def resolve(self, method: str, path: str) -> RouteMatch[T] | None:
        """None when no template matches (404); a match without target when only the method is wrong (405)."""
        other_methods: set[str] = set()
        for route in self.routes:
            params = route.template.match(path)
            if params is None:
                continue
            if method.upper() in route.methods:
                return RouteMatch(target=route.target, params=params)
            other_methods |= route.methods
        if other_methods:
            return RouteMatch(target=None, allowed_methods=frozenset(other_methods))
        return None
