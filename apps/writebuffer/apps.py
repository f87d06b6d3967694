from django.apps import AppConfig


class WriteBufferConfig(AppConfig):
    name = "apps.writebuffer"
    label = "writebuffer"
    verbose_name = "Write buffer"
