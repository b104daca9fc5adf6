from django.apps import AppConfig


class StoreCoreConfig(AppConfig):
    name = "store.core"
    label = "store"  # tables and references say "store", not "core"


default_app_config = "store.core.StoreCoreConfig"
