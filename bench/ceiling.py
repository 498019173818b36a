"""The ceiling: a bare Flask app answering with bytes captured from the real service.

Run under the same gunicorn settings as the service, it measures what Flask and
gunicorn alone cost on this machine, so the service's figures can be read as a ratio.
BENCH_CEILING_DIR holds ``detail.xml``, ``list50.xml``, their JSON twins of the
organization face (``detail.json``, ``list50.json``) and ``image.bin``.

With BENCH_CEILING_REDIS (a Redis URL), ``/detail+redis`` and ``/image+redis`` first make
the one round trip the service makes per request on PostgreSQL + Redis: the rate
limit's script (count, window, the catalog's generation), run as the service runs it.
Their rate is the ceiling of any read that counts its caller exactly and sees every
worker's writes at once.
"""

import os
from pathlib import Path

from flask import Flask, Response, send_file

from xmlapi import generation
from xmlapi.http.limits import COUNT_AND_TTL

DIRECTORY = Path(os.environ["BENCH_CEILING_DIR"])
XML = "application/xml; charset=utf-8"
BODIES = {
    name: (DIRECTORY / name).read_bytes()
    for name in ("detail.xml", "list50.xml", "detail.json", "list50.json")
    if (DIRECTORY / name).exists()
}

app = Flask(__name__)
REDIS_URL = os.environ.get("BENCH_CEILING_REDIS")
if REDIS_URL:
    import redis

    count_and_ttl = redis.Redis.from_url(REDIS_URL).register_script(COUNT_AND_TTL)


def one_round_trip() -> None:
    count_and_ttl(["bench-ceiling-count", generation.KEY], [60])


@app.get("/detail")
def detail():
    return Response(BODIES["detail.xml"], content_type=XML)


@app.get("/list50")
def list50():
    return Response(BODIES["list50.xml"], content_type=XML)


@app.get("/<any('detail', 'list50'):name>.json")
def json_body(name: str):
    return Response(BODIES[f"{name}.json"], content_type="application/json")


@app.get("/image")
def image():
    return send_file(DIRECTORY / "image.bin", mimetype="image/jpeg", conditional=True)


@app.get("/detail+redis")
def detail_after_redis():
    one_round_trip()
    return detail()


@app.get("/image+redis")
def image_after_redis():
    one_round_trip()
    return image()
