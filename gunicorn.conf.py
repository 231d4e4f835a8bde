"""gunicorn's settings for Skills Hub, each from an environment variable: `gunicorn -c gunicorn.conf.py wsgi:app`.

Process workers (the app is synchronous; one request at a time per worker), about one per core; each worker
restarts after roughly GUNICORN_MAX_REQUESTS requests (with jitter, so they do not all restart at once), which
bounds any slow memory growth (WeasyPrint, font caches). The app is loaded once in the master and forked, so a
restarting worker costs a fork rather than a second or two of imports; it opens no database or Redis connection
while loading, so the workers share none. A new release needs a restart, not a HUP.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return value in {"1", "true", "yes", "on"} if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = _int("WEB_CONCURRENCY", os.cpu_count() or 2)
worker_class = "sync"
threads = _int("GUNICORN_THREADS", 1)
preload_app = _flag("GUNICORN_PRELOAD", True)
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
timeout = _int("GUNICORN_TIMEOUT", 30)  # a worker silent this long is killed and replaced
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)  # on SIGTERM, requests in flight get this long to finish
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # threaded workers only (the sync worker closes each connection)
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (heartbeat files, not data)
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
errorlog = "-"
# No gunicorn access log: its request lines carry query strings, which can hold names. The app logs each request
# (method, path, status, duration and a request id) itself.
accesslog = None
# gunicorn ≥ 27 opens a control socket at one fixed path per user, which two servers on one machine would share.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "") == ""
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or None
