DATABASES = {
    "default": {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": "shop",
    }
}

INSTALLED_APPS = [
    "django.contrib.gis",
    "places",
]
