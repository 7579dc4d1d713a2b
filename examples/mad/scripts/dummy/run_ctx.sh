#!/bin/bash
# Example context-selected model: reports the ctxtest value baked into the image that was
# selected by the Dockerfile CONTEXT header (0 without ctx_test, 1 with ctx_test '1').
echo "performance: ${ctxtest:-0} context"
