"""Loki ruler rule files: the log alerts (LogQL) of each service that has some, one group per service."""

from __future__ import annotations

from khaosobs.domain.alerts import alert_labels, link_annotations, with_links
from khaosobs.domain.naming import loki_rules_path
from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Spec
from khaosobs.targets import EVERY_SERVICE, Share
from khaosobs.targets._rules import alert_annotations, alert_rule

NAME = "loki"
DESCRIPTION = "Loki ruler rule files (log alerts in LogQL), one per service with log alerts"


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    return render_share(spec, renderer, EVERY_SERVICE)


def render_share(spec: Spec, renderer: Renderer, share: Share) -> list[OutputFile]:
    """The rule files of the services in `share`: one per service with log alerts."""
    files = []
    for _, service in share.services(spec):
        if not service.log_alerts:
            continue
        rules = [
            alert_rule(alert.name, alert.expr, alert.for_, alert_labels(service, alert),
                       with_links(alert_annotations(alert), link_annotations(spec, {}, service, alert)))
            for alert in service.log_alerts
        ]
        files.append(renderer.file(NAME, "loki/rules.yml.j2", loki_rules_path(service.name), "yaml",
                                   groups=[{"name": service.name, "rules": rules}]))
    return files
