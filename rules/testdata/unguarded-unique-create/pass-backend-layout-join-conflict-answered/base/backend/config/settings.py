DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "members",
    }
}

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "accounts",
]
