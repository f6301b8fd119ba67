# The milcoop API, serving the knowledge graph from Neo4j (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so that editing the code or the facts does not reinstall them.
COPY pyproject.toml README.md ./
COPY milcoop ./milcoop
COPY ontology ./ontology
COPY loaders ./loaders
COPY graph ./graph
COPY api ./api
RUN pip install .

# The curated facts. The loader finds them beside its package (loaders/../data), so the
# checked-out tree on PYTHONPATH is what runs; the installed copy provides the dependencies
# and the `milcoop` command.
COPY data ./data
ENV PYTHONPATH=/app

# The embedded copy of the graph (it answers SPARQL while Neo4j is the primary store) lives in
# a volume, written by an unprivileged user.
RUN useradd --system --uid 10001 --home-dir /var/lib/milcoop milcoop \
    && mkdir -p /var/lib/milcoop \
    && chown milcoop /var/lib/milcoop
ENV MILCOOP_DATA_DIR=/var/lib/milcoop
USER milcoop

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=4 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

# With an empty Neo4j, `serve` first loads the bundled facts (validated, one transaction).
CMD ["milcoop", "serve", "--host", "0.0.0.0", "--port", "8000"]
