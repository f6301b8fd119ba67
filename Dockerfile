# syntax=docker/dockerfile:1
# The milcoop API, serving the knowledge graph from Neo4j (see docker-compose.yml).
#
# Two stages: the first builds milcoop's wheel from the source tree (the package's folders are
# symlinks, which the build resolves); the second installs the dependencies in a layer of their
# own, then the wheel. Editing the code or the facts rebuilds only the last layer.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && python - <<'PY'
import tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
open("/wheels/requirements.txt", "w").write("\n".join(deps) + "\n")
PY

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first, so that editing the code or the facts does not reinstall them.
COPY --from=build /wheels/requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

# milcoop itself: the code, the ontology and the bundled facts, all inside the wheel.
COPY --from=build /wheels/*.whl /tmp/
RUN pip install --no-deps /tmp/*.whl && rm /tmp/*.whl

# The embedded copy of the graph (it answers SPARQL while Neo4j is the primary store) lives in
# a volume, written by an unprivileged user.
RUN useradd --system --uid 10001 --home-dir /var/lib/milcoop milcoop \
    && mkdir -p /var/lib/milcoop \
    && chown milcoop /var/lib/milcoop
ENV MILCOOP_DATA_DIR=/var/lib/milcoop
USER milcoop
WORKDIR /var/lib/milcoop

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=4 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

# With an empty Neo4j, `serve` first loads the bundled facts (validated, one transaction).
CMD ["milcoop", "serve", "--host", "0.0.0.0", "--port", "8000"]
