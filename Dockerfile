# telegemini: the bot in a slim image. No ffmpeg and no compiler at run time: PyAV wheels bundle
# libopus, and the matplotlib and Pillow wheels are self-contained.
#
#   docker build -t telegemini .
#   docker run --env-file .env -v telegemini-data:/app/data telegemini
#
# docs/deploy.md has Docker, docker compose and Cloud Run step by step.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: a virtualenv with the pinned dependencies, then the package itself ---------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python -m venv /opt/venv

# Dependencies first, in their own layer: it is rebuilt only when the lock or the list changes.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && /opt/venv/bin/pip install -c constraints.txt -r requirements.txt

COPY README.md LICENSE ./
COPY src ./src
RUN /opt/venv/bin/pip install --no-deps .

# --- run: the virtualenv, a non-root user and nothing else -----------------------------------
FROM ${PYTHON_IMAGE}

RUN groupadd --system --gid 10001 telegemini \
 && useradd --system --uid 10001 --gid telegemini --create-home --shell /usr/sbin/nologin \
        telegemini

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# data/ holds the default SQLite database (DATABASE_URL=sqlite+aiosqlite:///data/telegemini.db);
# mount a volume there to keep it, or use PostgreSQL.
RUN mkdir -p /app/data && chown telegemini:telegemini /app/data

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    PORT=8080

USER telegemini
EXPOSE 8080

# Webhook mode serves GET /healthz on $PORT. Polling mode has no HTTP server, so the check passes
# there: the process itself is the health signal (it exits on fatal errors and restarts).
# The settings are read exactly as the bot reads them (environment, then .env).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; from telegemini.settings import Settings; s = Settings(); s.mode == 'polling' or urllib.request.urlopen(f'http://127.0.0.1:{s.port}/healthz', timeout=4)"

# Exec form: the bot is PID 1 and gets SIGTERM itself (it stops gracefully within 10 s).
CMD ["telegemini", "run"]
