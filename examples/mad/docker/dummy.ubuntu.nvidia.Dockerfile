# CONTEXT {'gpu_vendor': 'NVIDIA', 'guest_os': 'UBUNTU'}
# Example image for the CPU-only dummy models. The base is a tiny local image (busybox + static bash)
# that scripts/test-infra.sh (repository root) creates; override it with --build-arg BASE_DOCKER=<image>.
ARG BASE_DOCKER=madengine/example-base:latest
FROM ${BASE_DOCKER}
ENV EXAMPLE_GPU_VENDOR=NVIDIA
