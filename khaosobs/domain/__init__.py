"""Domain rules, each written once and used by checks and targets alike: Prometheus name syntax
(prometheus_names), durations, annotation fields, the route tree's root., SLO windows and tiers (slo)."""
