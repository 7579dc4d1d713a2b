#!/bin/bash
# Example model: prints a fixed, deterministic performance line (42.5, or 85.0 with --precision fp16).
# Accepts "--key value" and "--flag" arguments, so tag arguments such as dummy:batch-size=32
# (passed as "--batch-size 32") are echoed back and visible in the log.
precision=fp32
while [ "$#" -gt 0 ]; do
  key="${1#--}"
  value=""
  shift
  if [ "$#" -gt 0 ] && [ "${1#--}" = "$1" ]; then
    value="$1"
    shift
  fi
  echo "argument: ${key}=${value}"
  if [ "$key" = "precision" ]; then precision="$value"; fi
done

case "$precision" in
  fp16) result=85.0 ;;
  *) result=42.5 ;;
esac
echo "model: ${MAD_MODEL_NAME:-dummy} precision: ${precision}"
echo "performance: ${result} samples_per_second"
