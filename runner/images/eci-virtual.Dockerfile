# The eci-virtual image: controller and virtual node (the same CLI bundle, different args). Small and non-root:
# a static busybox base, the Node.js runtime with the shared libraries it links, CA certificates and one JS bundle.
# The build context is prepared by runner/scripts/lib/project-images.ts (rootfs/ holds node, libs, certs and the bundle).
ARG BASE=busybox:stable-musl
FROM ${BASE}
COPY rootfs/ /
ENV NODE_ENV=production
USER 65532:65532
WORKDIR /app
ENTRYPOINT ["/usr/local/bin/node", "/app/eci-virtual.mjs"]
