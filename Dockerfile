# The image Fly.io builds from fly.toml. Installs the runtime lock only (requirements-lock.txt, no
# test tool), nothing resolved at build time; .dockerignore keeps tests and test tooling out.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH="/app/.venv/bin:$PATH"
WORKDIR /app
COPY requirements-lock.txt .
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir --no-deps --require-hashes -r requirements-lock.txt
COPY . .
# DEBUG false, as the image runs: the production storage writes the hashed, compressed copies
# and the manifest (staticfiles.json) that production pages link through. collectstatic runs
# only the static-files checks, so no secret or key is needed here, and none belongs in an image.
RUN DEBUG=false .venv/bin/python manage.py collectstatic --noinput
# The console's translations, compiled with Babel (a runtime dependency): no gettext in the image.
RUN .venv/bin/python -m clinicbot.catalogs
EXPOSE 8000
