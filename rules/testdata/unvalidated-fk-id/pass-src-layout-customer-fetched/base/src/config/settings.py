DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "store",
    }
}

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "shop",
]
