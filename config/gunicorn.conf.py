"""gunicorn settings for both `make run` and production.

Threads, because the wandb SDK sends GraphQL, file_stream and uploads in
parallel from one run.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
accesslog = "-"
# The path only (%(U)s), never the query string; the one secret a path can
# carry, a signed upload URL's token, is masked by RedactingLogger below.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
logger_class = "config.gunicorn_logging.RedactingLogger"
# gunicorn 27's control socket lives at ~/.gunicorn/gunicorn.ctl, one path
# shared by every instance on the host; Sextant does not use it.
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    # On the embedded default (no REDIS_URL) there is no beat process: one
    # worker runs the periodic jobs on a timer.
    from config.embedded import start_periodic_jobs_if_embedded

    start_periodic_jobs_if_embedded(worker_age=worker.age)
