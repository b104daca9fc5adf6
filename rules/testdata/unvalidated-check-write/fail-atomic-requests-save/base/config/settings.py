DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        # Every view runs in one transaction: the suggested handler must leave
        # it unused after the failed write.
        "ATOMIC_REQUESTS": True,
    }
}

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "shop",
]
