"""Alertmanager's routing, re-implemented for the spec's model: where does an alert go?

Faithful to Alertmanager (dispatch/route.go, pkg/labels): a route matches when all its matchers
match the alert's labels (a missing label is the empty string); its children are tried in order and
the first matching child ends the search unless it has `continue: true`; when no child matches, the
route itself takes the alert. The root has no matchers, so it takes every alert no child takes. A
route without a receiver inherits its parent's. Matcher strings are parsed as Alertmanager's
classic parser does, regexes are RE2 anchored at both ends (`^(?:re)$`): the matchers are
khaosobs/domain/matchers.py, the RE2 translator khaosobs/domain/re2.py (both importable from here
too); this module is the route tree. It is also the one place that turns the seed's
`match`/`match_re` into matcher strings, so the rendered config and the routing table can never
disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from khaosobs.domain.alerts import AlertInfo, PlanOf, all_alerts
from khaosobs.domain.matchers import MATCHER_HINT as MATCHER_HINT
from khaosobs.domain.matchers import Matcher as Matcher
from khaosobs.domain.matchers import MatcherError as MatcherError
from khaosobs.domain.matchers import MatchOp as MatchOp
from khaosobs.domain.matchers import escape_value as escape_value
from khaosobs.domain.matchers import matcher_text as matcher_text
from khaosobs.domain.matchers import new_matcher as new_matcher
from khaosobs.domain.matchers import parse_matcher as parse_matcher
from khaosobs.domain.matchers import parse_matchers as parse_matchers
from khaosobs.domain.prometheus_names import LABEL_NAME_RE
from khaosobs.domain.re2 import compile_go_regex as compile_go_regex
from khaosobs.domain.routes import ROUTE_ROOT
from khaosobs.domain.slo import slo_plan
from khaosobs.spec.model import Alerting, Route, Spec
from khaosobs.spec.sources import Path_

ROOT_PATH: Path_ = ROUTE_ROOT
# the one receiver of a spec that only sets telemetry.metrics.alertmanager_webhook
DEFAULT_RECEIVER = "default"

# --- The seed's match/match_re as matcher strings --------------------------------------------------


def route_matcher_texts(route: Route) -> list[str]:
    """The route's matchers as Alertmanager matcher strings: `match`, `match_re`, then `matchers` as is."""
    texts = [matcher_text(name, "=", value) for name, value in route.match.items()]
    texts += [matcher_text(name, "=~", value) for name, value in route.match_re.items()]
    return texts + list(route.matchers)


def route_problems(route: Route, path: Path_) -> list[tuple[Path_, str, bool]]:
    """Every matcher of this route (not its children) Alertmanager would refuse: (path, message, at key)."""
    problems: list[tuple[Path_, str, bool]] = []
    for kind, op in (("match", "="), ("match_re", "=~")):
        for name, value in getattr(route, kind).items():
            if not LABEL_NAME_RE.fullmatch(name):
                problems.append(((*path, kind, name), f'invalid label name "{name}" in {kind}', True))
                continue
            try:
                new_matcher(name, op, value)  # type: ignore[arg-type]
            except MatcherError as exc:
                problems.append(((*path, kind, name), f'{kind} "{name}": {exc}', False))
    for i, text in enumerate(route.matchers):
        try:
            parse_matchers(text)
        except MatcherError as exc:
            problems.append(((*path, "matchers", i), f"cannot parse matcher {text!r}: {exc}", False))
    return problems


# --- The routing tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteNode:
    path: Path_
    receiver: str  # its own or inherited
    matchers: tuple[Matcher, ...]
    continue_: bool
    children: tuple[RouteNode, ...]

    @property
    def is_root(self) -> bool:
        return self.path == ROOT_PATH

    def match(self, labels: Mapping[str, str]) -> list[RouteNode]:
        """Alertmanager's Route.Match: the routes (in tree order) that take an alert with these labels."""
        if not all(m.matches(labels) for m in self.matchers):
            return []
        found: list[RouteNode] = []
        for child in self._candidates(labels):
            taken = child.match(labels)
            found.extend(taken)
            if taken and not child.continue_:
                break
        return found or [self]

    @cached_property
    def _child_index(self) -> tuple[tuple[str, ...], dict[tuple[str, str], list[int]], list[int]]:
        """The children by one equality matcher each: (label names, (name, value) -> child positions,
        positions of children without one). A child whose `name="value"` differs from the alert's
        label cannot match, so an alert tries only its candidates: with a route per team, routing
        every alert is linear in the alerts, not alerts x routes."""
        by_key: dict[tuple[str, str], list[int]] = {}
        unkeyed: list[int] = []
        for i, child in enumerate(self.children):
            equal = next((m for m in child.matchers if m.op == "="), None)
            if equal is None:
                unkeyed.append(i)
            else:
                by_key.setdefault((equal.name, equal.value), []).append(i)
        return tuple(sorted({name for name, _ in by_key})), by_key, unkeyed

    def _candidates(self, labels: Mapping[str, str]) -> list[RouteNode]:
        """The children that may match `labels`, in tree order (the others' equality matcher fails)."""
        if len(self.children) < 2:
            return list(self.children)
        names, by_key, unkeyed = self._child_index
        # a missing label is the empty string, as in Matcher.matches
        positions = [i for name in names for i in by_key.get((name, labels.get(name, "")), ())]
        return [self.children[i] for i in sorted(positions + unkeyed)]

    def walk(self) -> list[RouteNode]:
        """This route and every route under it, in tree order (a stack: no list copied per level)."""
        found: list[RouteNode] = []
        stack = [self]
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(reversed(node.children))
        return found


class Shadows:
    """Which route takes, before a given route can, an alert of the spec that route and its parents
    match (the hint of `route-unreached`).

    Built once for a tree and its routed alerts, because the check asks about every route of every
    receiver no alert reaches: a walk of the tree, or of every alert, per question made a tree of
    thousands of routes cost the square of its size. The parents are one map; the alerts are indexed
    by their labels, so a route with an equality matcher looks only at the alerts that carry its value.
    """

    def __init__(self, tree: RouteNode, routed: Sequence[AlertRoute]) -> None:
        self.routed = routed
        self._parent: dict[int, RouteNode] = {}
        self._by_receiver: dict[str, list[RouteNode]] = {}
        for node in tree.walk():
            for child in node.children:
                self._parent[id(child)] = node
            if not node.is_root:
                self._by_receiver.setdefault(node.receiver, []).append(node)
        self._by_label: dict[tuple[str, str], list[int]] = {}
        for i, item in enumerate(routed):
            for pair in item.labels.items():
                self._by_label.setdefault(pair, []).append(i)

    def of_receiver(self, receiver: str) -> RouteNode | None:
        """The route shadowing the first route (in tree order) naming `receiver` that has one."""
        return next((found for node in self._by_receiver.get(receiver, ())
                     if (found := self.of(node)) is not None), None)

    def of(self, target: RouteNode) -> RouteNode | None:
        """The first route taking, instead of `target`, an alert `target` and its parents match."""
        matchers = [*target.matchers]
        node = target
        while (parent := self._parent.get(id(node))) is not None:
            matchers += parent.matchers
            node = parent
        # a missing label is "": an equality matcher with a value selects the alerts carrying it
        equal = next((m for m in matchers if m.op == "=" and m.value), None)
        candidates = self._by_label.get((equal.name, equal.value), []) if equal is not None else range(len(self.routed))
        for i in candidates:
            item = self.routed[i]
            if all(m.matches(item.labels) for m in matchers) and not any(n is target for n in item.routes):
                return item.routes[0]
        return None


def build_tree(route: Route, path: Path_ = ROOT_PATH, inherited: str = "") -> RouteNode:
    """The routing tree of the spec's route; raises MatcherError on a matcher Alertmanager would refuse."""
    matchers = tuple(m for text in route_matcher_texts(route) for m in parse_matchers(text))
    receiver = route.receiver if route.receiver is not None else inherited
    children = tuple(build_tree(child, (*path, "routes", i), receiver)
                     for i, child in enumerate(route.routes))
    return RouteNode(path, receiver, matchers, route.continue_, children)


def effective_alerting(spec: Spec) -> Alerting | None:
    """The spec's alerting section; without one, the seed's `telemetry.metrics.alertmanager_webhook` alone
    makes a single webhook receiver that takes every alert. None when neither is set."""
    if spec.alerting is not None:
        return spec.alerting
    url = spec.telemetry.metrics.alertmanager_webhook
    if url is None:
        return None
    return Alerting.model_validate({"receivers": [{"name": DEFAULT_RECEIVER, "webhook": {"url": url}}],
                                    "route": {"receiver": DEFAULT_RECEIVER}})


def routing_labels(alert: AlertInfo) -> dict[str, str]:
    """The labels Alertmanager sees: the rule's labels and `alertname` (Prometheus sets it last: it wins)."""
    return {"alertname": alert.name, **{k: v for k, v in alert.labels.items() if k != "alertname"}}


@dataclass(frozen=True)
class AlertRoute:
    alert: AlertInfo
    labels: dict[str, str]
    routes: list[RouteNode]

    @property
    def receivers(self) -> list[str]:
        return [node.receiver for node in self.routes]

    @property
    def default_only(self) -> bool:
        """Only the root takes it: no route of the tree was written for it."""
        return len(self.routes) == 1 and self.routes[0].is_root


def route_alerts(spec: Spec, tree: RouteNode | None = None, plan_of: PlanOf = slo_plan) -> list[AlertRoute]:
    """Every alert of the spec with the routes (and so the receivers) it reaches, in Alertmanager's order."""
    if tree is None:
        alerting = effective_alerting(spec)
        if alerting is None:
            return []
        tree = build_tree(alerting.route)
    routed = []
    for alert in all_alerts(spec, plan_of):
        labels = routing_labels(alert)
        routed.append(AlertRoute(alert, labels, tree.match(labels)))
    return routed
