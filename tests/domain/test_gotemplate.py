"""The Go template parser (khaosobs.domain.gotemplate) against the real promtool.

`promtool check rules` parses every annotation as Prometheus will, with Go's own text/template:
the parser must refuse exactly what promtool refuses, for hand-written cases and for texts
hypothesis assembles from template fragments. `go_template_literal` is held to
`promtool test rules`: the annotation it writes renders to exactly the text it was given.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from khaosobs.domain.gotemplate import go_template_literal, parse_template

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="needs promtool (.ci/run installs it)")

CASES = [
    "plain text", "{{ $labels.instance }}", "{{ $value | humanize }}", "{{ $value | humanizePercentage }}",
    '{{ printf "%.2f" $value }}', '{{ index $labels "job" }}', "{{ .Labels.job }}", "{{ .Value }}",
    "{{- $value -}}", "{{/* a comment */}}", "{{- /* a comment */ -}}", "x }} y",
    "{{`r`$value}}", '{{ "a"$value }}', "{{ (1)2 }}", "{{ $value(1) }}", "{{ ($value).Labels }}",
    '{{ "job" nil.Labels }}', '{{ "a".x }}', "{{ 1.x }}", "{{ true.x }}", "{{ $labels.x.y }}", "{{ (.).x }}",
    "{{/* c */-}}x", "{{ /* c */ }}", "{{/* c */ }}", "{{/* c */  -}}", "{{- /* c */}}", "{{-\t/* c */\n-}}",
    "{{ if gt $value 1.0 }}a{{ else }}b{{ end }}",
    '{{ range $i, $s := query "up" }}{{ $s.Labels.job }}{{ end }}',
    '{{ with query "up" }}{{ . | first | value }}{{ end }}',
    "{{ $x := 1 }}{{ $x }}", "{{ if true }}{{ else if false }}{{ end }}", "{{ ($value) }}", "{{ -1 }}", "{{ 1.5e3 }}",
    "{{ 0x1F }}", "{{ 'a' }}", "{{ `raw {{ }}` }}", "{{ nil | len }}", '{{ "a" | printf "%s" }}', "{{ $labels }}",
    "{{ reReplaceAll \"a\" \"b\" $labels.job }}", "{{ $externalURL }}", "{{ $externalLabels.cluster }}",
    "{{ humanizeDuration $value }}", "{{ toUpper $labels.job | toLower }}", "{{ stripPort $labels.instance }}",
    # refused
    "Requests under {{ 500ms", "{{ $labels.instance", "{{ humanise $value }}", "{{ $valeu }}", "{{ }}", "{{ end }}",
    "{{ if true }}", "{{ else }}", '{{ "a" | "b" }}', "{{ $value | }}", "{{ | humanize }}", "{{ nil }}", "{{ ( }}",
    "{{ ) }}", '{{ "unterminated }}', "{{ `raw }}", "{{ 1a }}",
    "{{ $x := 1 }}{{ if true }}{{ $y := 2 }}{{ end }}{{ $y }}",
    "{{ break }}", "{{ range $labels }}{{ break }}{{ end }}", "{{ if }}{{ end }}", "{{ & }}", "{{ $labels.a.b }}",
    "{{/* unclosed }}", "{{ template }}", '{{ define "x" }}a{{ end }}', "{{ . }}", "{{ .Labels | len }}",
    # Go's identifiers are Unicode: a field or variable named so parses, an unknown function does not
    "{{ .Größe }}", "{{ $größe := 1 }}{{ $größe }}", "{{À}}", "{{À",
]
FRAGMENTS = ["{{", "}}", " ", "$labels", ".instance", "$value", "|", "humanize", "printf", '"%d"', "if", "end",
             "else", "(", ")", "foo", "1", "-", "$x", ":=", "range", ".Labels", "`r`", "nil", "true", "index",
             '"job"', "text", "{{-", "-}}", "/*", "*/", "'c'", "."]


def promtool_verdicts(texts: list[str], tmp: Path) -> list[bool]:
    """For each text, whether `promtool check rules` accepts it as an alert's summary."""
    files = []
    for i, text in enumerate(texts):
        rule = {"alert": "A", "expr": "vector(1)", "annotations": {"summary": text}}
        path = tmp / f"t{i}.yml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [rule]}]}), encoding="utf-8")
        files.append(path.name)
    result = subprocess.run(["promtool", "check", "rules", *files], cwd=tmp, capture_output=True, text=True,
                            timeout=120, check=False)
    # promtool names the file on each line about a refused one: `t3.yml: group "g", rule 1, …`
    refused = {line.split(":", 1)[0] for line in result.stderr.splitlines() if ":" in line}
    assert result.stdout.count("SUCCESS") + len(refused & set(files)) == len(files), result.stdout
    return [name not in refused for name in files]


def test_parser_refuses_what_promtool_refuses(tmp_path: Path) -> None:
    verdicts = promtool_verdicts(CASES, tmp_path)
    disagreements = [(text, accepted) for text, accepted in zip(CASES, verdicts, strict=True)
                     if accepted != (not parse_template(text).errors)]
    assert not disagreements
    assert 20 < sum(verdicts) < len(CASES) - 20  # both kinds are well represented


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.generate])
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=9).map("".join),
                min_size=150, max_size=150, unique=True))
def test_parser_agrees_with_promtool_on_generated_text(tmp_path_factory: pytest.TempPathFactory,
                                                        texts: list[str]) -> None:
    verdicts = promtool_verdicts(texts, tmp_path_factory.mktemp("templates"))
    disagreements = [(text, accepted) for text, accepted in zip(texts, verdicts, strict=True)
                     if accepted != (not parse_template(text).errors)]
    assert not disagreements


def test_literal_renders_exactly_its_text(tmp_path: Path) -> None:
    texts = ["Requests under {{ 500ms", "a }} b", "{{ $labels.x }}", "back`tick {{ x }}", 'quote " {{',
             "new\nline {{", "tab\t{{ `", "plain", "\\ backslash {{"]
    rules = [{"alert": f"A{i}", "expr": "vector(1)", "annotations": {"summary": go_template_literal(text)}}
             for i, text in enumerate(texts)]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}),
                                        encoding="utf-8")
    tests = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": [],
        "alert_rule_test": [{"eval_time": "1m", "alertname": f"A{i}", "exp_alerts": [
            {"exp_labels": {}, "exp_annotations": {"summary": text}}]} for i, text in enumerate(texts)]}]}
    (tmp_path / "t.yml").write_text(yaml.safe_dump(tests), encoding="utf-8")
    result = subprocess.run(["promtool", "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_labels_of_the_dot_are_the_alerts_only_where_the_dot_is_the_alert() -> None:
    """Inside `range`/`with` the dot is each query sample (Ceph's alerts list the monitors that
    are down with `{{ range query "..." }}{{ .Labels.hostname }}{{ end }}`): not a read of the
    alert's labels. `$labels` and `.Labels` outside them are."""
    from khaosobs.domain.gotemplate import label_reads

    text = ('{{ .Labels.job }}{{ range query "up" }}{{ .Labels.hostname }}{{ index .Labels "pod" }}'
            '{{ $labels.instance }}{{ end }}{{ with query "up" }}{{ . | first | label "x" }}{{ .Labels.a }}{{ end }}'
            '{{ if true }}{{ .Labels.cluster }}{{ end }}')
    reads = [(read.label, text[read.offset:read.offset + read.length]) for read in label_reads(text)]
    assert reads == [("job", "job"), ("instance", "instance"), ("cluster", "cluster")]


def test_inside_range_the_dot_labels_are_the_samples_in_prometheus(tmp_path: Path) -> None:
    """What the reading above rests on, asked of the real Prometheus: an alert whose result carries
    no `hostname` prints each sample's `hostname` from `{{ range query ... }}{{ .Labels.hostname }}`."""
    from khaosobs.domain.gotemplate import label_reads

    summary = '{{ range query "sort(ceph_mon_metadata)" }}{{ .Labels.hostname }};{{ end }}{{ .Labels.job }}'
    assert [read.label for read in label_reads(summary)] == ["job"]
    rules = [{"alert": "MonDown", "expr": "sum by (job) (up) == 0", "annotations": {"summary": summary}}]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}),
                                        encoding="utf-8")
    tests = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [{"series": 'up{job="ceph", instance="a"}', "values": "0x3"},
                         {"series": 'ceph_mon_metadata{hostname="h1", instance="a"}', "values": "1x3"},
                         {"series": 'ceph_mon_metadata{hostname="h2", instance="b"}', "values": "2x3"}],
        "alert_rule_test": [{"eval_time": "1m", "alertname": "MonDown", "exp_alerts": [
            {"exp_labels": {"job": "ceph"}, "exp_annotations": {"summary": "h1;h2;ceph"}}]}]}]}
    (tmp_path / "t.yml").write_text(yaml.safe_dump(tests), encoding="utf-8")
    result = subprocess.run(["promtool", "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
