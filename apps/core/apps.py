from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from celery.signals import task_prerun
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created
        from django_guid.context import guid

        from apps.core.collectors import install_query_counter
        from apps.core.replicas import replica_aliases, unpin, watch_writes

        connection_created.connect(install_query_counter, dispatch_uid="schools24_query_counter")
        if replica_aliases():
            # Raw SQL writes (the write buffer's write-through) pin the request to the primary.
            connection_created.connect(watch_writes, dispatch_uid="core.replicas.watch_writes")

        # django-guid's middleware sets the request id and leaves it set; it ends when the
        # response is closed (after Django logged the response and gunicorn its access line),
        # so nothing done later on the thread (events published outside a request, a test's
        # next step) carries a stale id.
        request_finished.connect(
            lambda **_: guid.set(None), weak=False, dispatch_uid="core.request_id_ends"
        )

        # A worker process runs task after task on one thread: one task's write must not keep
        # the next task's lag-tolerant reads on the primary (nor may a task inherit a pin).
        task_prerun.connect(lambda **_: unpin(), weak=False, dispatch_uid="core.unpin")
