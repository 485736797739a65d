# The hooks image: our container hooks bundle under /eci-hooks and the step agent at /usr/local/bin/eci-agent
# (AGENT.imageBinary in runner/contract/src/agent.ts). Job pods run it as two init containers: `eci-agent install`
# onto the pod's agent volume, and the copy of the hooks into the official runner container
# (ACTIONS_RUNNER_CONTAINER_HOOKS=/home/runner/eci-hooks/index.js).
ARG BASE=busybox:stable-musl
FROM ${BASE}
COPY hooks/ /eci-hooks/
COPY --chmod=755 agent/eci-agent /usr/local/bin/eci-agent
USER 65532:65532
CMD ["/bin/sh", "-c", "cp -R /eci-hooks/. /target/"]
