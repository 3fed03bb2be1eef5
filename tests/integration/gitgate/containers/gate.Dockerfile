# Throwaway test image: the lead's gitgate image with this tree's bb-protocol, bb-dlp and bb-gitgate
# wheels (built on the host by the test) installed over the ones it was built with.
ARG BASE=bot-bottle-gitgate:0.1.0
FROM ${BASE}
USER root
COPY wheels/ /tmp/wheels/
RUN /opt/bb/bin/pip install --no-cache-dir --no-index --no-deps --force-reinstall /tmp/wheels/*.whl \
 && rm -rf /tmp/wheels
USER gitgate
