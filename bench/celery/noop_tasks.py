"""The Celery side of the benchmark: one no-op task, Redis as broker and result backend.

The broker and backend URLs come from the environment (set by bench_celery.py), so that the worker processes and the
client agree on the Redis they started.
"""
import os

from celery import Celery

app = Celery(
    "noop_tasks",
    broker=os.environ.get("BENCH_CELERY_BROKER", "redis://127.0.0.1:6379/0"),
    backend=os.environ.get("BENCH_CELERY_BACKEND", "redis://127.0.0.1:6379/1"),
)
app.conf.update(
    broker_connection_retry_on_startup=True,
    # defaults otherwise (prefetch multiplier 4, acks early, JSON): the figures are Celery as usually deployed
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
)


@app.task(name="noop")
def noop():
    return None
