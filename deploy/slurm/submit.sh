#!/bin/bash
# Submits the analysis (a job array, one task per shard) and the merge, which starts once every task succeeded.
set -euo pipefail
cd "$(dirname "$0")"
analyze=$(sbatch --parsable sightline-array.sbatch)
sbatch --dependency=afterok:"${analyze%%;*}" sightline-merge.sbatch
