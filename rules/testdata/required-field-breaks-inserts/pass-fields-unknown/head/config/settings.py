DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "catalog",
    }
}

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "catalog",
    "reviews",
]
