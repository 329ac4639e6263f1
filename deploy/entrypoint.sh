#!/bin/sh
# Container start-up. With no arguments: serve. With arguments: run them instead, e.g.
#   docker run --rm sarcoma-cds:0.1.0 sarcoma-cds evaluate /data/request.json
set -eu

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    # Metric files left by a previous run in the same folder would be summed into this one.
    find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -type f -name '*.db' -delete
fi

exec sarcoma-cds serve --host 0.0.0.0 --port "${SARCOMA_CDS_PORT:-8080}" --workers "${SARCOMA_CDS_WORKERS:-2}"
