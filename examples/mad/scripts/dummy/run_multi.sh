#!/bin/bash
# Example multiple-results model: writes perf_dummy.csv (its models.json entry names it in
# multiple_results) with one row per sub-benchmark. Each row becomes a perf.csv row named
# dummy_multi_<model column>.
cat > perf_dummy.csv <<'CSV'
model,performance,metric
1,101.5,samples_per_second
2,202.5,samples_per_second
3,303.5,samples_per_second
CSV
echo "wrote perf_dummy.csv with 3 results"
