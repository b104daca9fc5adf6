DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "boards",
    }
}

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "boards",
]
