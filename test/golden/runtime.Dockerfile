# Rendered by fireworker-images from the runtime settings; do not edit.
# Never an Alpine base: musl changes floating-point results.
ARG from=python:3.11-slim-bookworm
FROM ${from}

# update and install in one layer, so the package lists are never stale from the cache
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends swig gfortran \
    && rm -rf /var/lib/apt/lists/*

# all pips in one layer, without keeping downloads
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt

# tasks run as the VM user's uid:gid, so tools writing here need world-writable dirs
RUN (umask 000 && mkdir -p /.theano /.cache)
