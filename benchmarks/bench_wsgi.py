"""The portal plus a bare route, so both are measured behind the same gunicorn."""

from portal import create_app

app = create_app()


@app.get("/_bench/hello")
def hello() -> str:
    return "hello"
