# CONTEXT {'ctx_test': 'None'}
# Selected when no ctx_test is given (madengine's context value is then the string 'None').
ARG BASE_DOCKER=madengine/example-base:latest
FROM ${BASE_DOCKER}
ENV ctxtest=0
