"""Settings of the seed-style baseline (seeds 003/004). Defaults on purpose."""

import os

SECRET_KEY = os.environ.get("BASELINE_SECRET_KEY", "bench-baseline-not-a-secret-" + "x" * 32)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "channels",
    "bench.baseline.chat",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.baseline.seedchat.urls"
ASGI_APPLICATION = "bench.baseline.seedchat.asgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("BASELINE_DB_NAME", "parley_bench_baseline"),
        "USER": os.environ.get("BASELINE_DB_USER", "postgres"),
        "HOST": os.environ.get("BASELINE_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("BASELINE_DB_PORT", "5432"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ.get("BASELINE_REDIS_URL", "redis://127.0.0.1:6379/13")]},
    }
}
