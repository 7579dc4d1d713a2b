# CONTEXT {'ctx_test': '1'}
# Selected when the build context has ctx_test '1' (a ctx_test file in the hub containing 1, or
# additional context {"ctx_test": "1"}). No vendor key, so it matches AMD, NVIDIA and CPU-only hosts.
ARG BASE_DOCKER=madengine/example-base:latest
FROM ${BASE_DOCKER}
ENV ctxtest=1
