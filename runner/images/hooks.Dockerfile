# The hooks image: our container hooks bundle under /eci-hooks; job pods run it as an init container that copies the
# hooks into the official runner container (ACTIONS_RUNNER_CONTAINER_HOOKS=/home/runner/eci-hooks/index.js).
ARG BASE=busybox:stable-musl
FROM ${BASE}
COPY hooks/ /eci-hooks/
USER 65532:65532
CMD ["/bin/sh", "-c", "cp -R /eci-hooks/. /target/"]
