# Throwaway test image: a forge stand-in serving bare repos over ssh (git-shell only).
FROM debian:trixie-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git openssh-server \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --shell /usr/bin/git-shell git \
 && mkdir -p /run/sshd /srv
COPY upstream-entrypoint.sh /usr/local/bin/entrypoint
ENTRYPOINT ["/bin/sh", "/usr/local/bin/entrypoint"]
