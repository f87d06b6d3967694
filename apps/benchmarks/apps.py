from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """Benchmark commands; they use the domain apps, which the write buffer itself must not."""

    name = "apps.benchmarks"
    label = "benchmarks"
