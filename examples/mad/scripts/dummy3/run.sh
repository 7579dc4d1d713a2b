#!/bin/bash
# Dynamic sub-catalogue example model: prints a fixed performance line and echoes its arguments.
for argument in "$@"; do echo "argument: ${argument}"; done
echo "model: ${MAD_MODEL_NAME:-dummy3}"
echo "performance: 7.25 samples_per_second"
