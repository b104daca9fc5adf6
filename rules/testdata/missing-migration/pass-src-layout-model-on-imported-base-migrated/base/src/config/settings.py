INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "core",
    "catalog",
]
