from django.db import models

from apps.writebuffer.models import BufferedModel


class Note(BufferedModel):
    owner = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    tags = models.JSONField(default=list, blank=True)
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Lets tests make a poison record: valid to Python, refused by the database.
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="note_amount_gte_0")
        ]
