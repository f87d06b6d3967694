"""``/livez/``: the process answers (no dependency is checked)."""

from django.http import JsonResponse
from django.views.decorators.http import require_safe


@require_safe
def livez(request):
    """Liveness for a process supervisor (restart when this stops answering); readiness, with
    every dependency checked, is ``/healthz/``. It runs the whole middleware stack and nothing
    else, which also makes it the bare-Django ceiling that ``bench_writebuffer`` measures."""
    return JsonResponse({"status": "ok"})
