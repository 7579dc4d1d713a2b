#!/bin/bash
# Sub-catalogue example model: its models.json paths are relative to scripts/dummy2/.
# Prints a fixed performance line and echoes any "--key value" arguments.
for argument in "$@"; do echo "argument: ${argument}"; done
echo "model: ${MAD_MODEL_NAME:-dummy2}"
echo "performance: 10.5 samples_per_second"
