from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from celery.signals import task_prerun

        from apps.core.replicas import unpin

        # A worker process runs task after task on one thread: one task's write must not keep
        # the next task's lag-tolerant reads on the primary (nor may a task inherit a pin).
        task_prerun.connect(lambda **_: unpin(), weak=False, dispatch_uid="core.unpin")
