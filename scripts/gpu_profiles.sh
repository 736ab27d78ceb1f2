#!/usr/bin/env bash
# GPU measurement campaign: real diffusers pipelines with random full-size weights on one GPU (no network).
#
#   OUT=/some/dir bash scripts/gpu_profiles.sh                 # on the GPU box (H100 80GB / H200)
#   OUT=/tmp/x DEVICE=cpu SCALE=tiny RES_DIV=8 bash scripts/gpu_profiles.sh   # CPU dry run of the same steps
#
# Makefile target (lead): gpu-profiles: ; OUT=$${OUT:-/tmp/gpu-profiles} bash scripts/gpu_profiles.sh
#
# Needs: python3 with torch, diffusers 0.42.1, transformers 5.x, accelerate, pydantic, pyyaml, typer, rich,
# nvidia-ml-py, Pillow, requests. Runs from the repository root. Each job is its own process with a
# `timeout` guard (SIGTERM -> the runner writes a partial profile), so one failure never stops the others.
# Everything stays under a global budget (BUDGET_S, default 450 s of wall time for the jobs).
#
# Output (few files, shallow, so that all of it comes back from the device runner):
#   $OUT/log.txt           full log (preflight, every job's output, summary)
#   $OUT/summary.txt       one line per job: name, exit code, seconds, status, median s/image, profile file
#   $OUT/profiles.tar.gz   profiles/measured/<device>/*.yaml + profiles/ceilings/<device>.yaml
# The profiles are also copied into the working tree's profiles/ (COPY_TO_REPO=1, default on for cuda).

set -u
OUT=${OUT:-/tmp/gpu-profiles-out}
DEVICE=${DEVICE:-cuda}
SCALE=${SCALE:-full}          # --random-weights: full | tiny | scaled:<f>
RES_DIV=${RES_DIV:-1}         # divide every resolution by this (CPU dry run)
STEP_CAP=${STEP_CAP:-0}       # >0: cap every job's steps (CPU dry run)
BUDGET_S=${BUDGET_S:-450}
PY=${PY:-python3}
WORK=${WORK:-$(mktemp -d /tmp/gpu-profiles-work.XXXXXX)}
if [ "$DEVICE" = "cpu" ]; then PREC=${PREC:-fp32}; COPY_TO_REPO=${COPY_TO_REPO:-0}; else PREC=${PREC:-bf16}; COPY_TO_REPO=${COPY_TO_REPO:-1}; fi

mkdir -p "$OUT" "$WORK/profiles/measured" "$WORK/profiles/ceilings"
LOG="$OUT/log.txt"; SUMMARY="$OUT/summary.txt"
: >"$LOG"; : >"$SUMMARY"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
T0=$(date +%s)
log() { echo "[$(date +%H:%M:%S) +$(( $(date +%s) - T0 ))s] $*" | tee -a "$LOG"; }
remaining() { echo $(( BUDGET_S - ($(date +%s) - T0) )); }

log "gpu_profiles: DEVICE=$DEVICE SCALE=$SCALE PREC=$PREC RES_DIV=$RES_DIV STEP_CAP=$STEP_CAP BUDGET_S=$BUDGET_S WORK=$WORK"
{
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,power.limit,power.draw,temperature.gpu --format=csv
  $PY - <<'EOF'
import importlib, sys
print("python", sys.version.split()[0])
for m in ("torch", "diffusers", "transformers", "accelerate", "huggingface_hub", "tokenizers", "safetensors",
          "pydantic", "pydantic_core", "typing_extensions", "yaml", "typer", "rich", "pynvml", "PIL", "requests", "numpy"):
    try:
        mod = importlib.import_module(m)
        print(f"  ok   {m:18s} {getattr(mod, '__version__', '')} {getattr(mod, '__file__', '')}")
    except Exception as e:
        print(f"  FAIL {m:18s} {type(e).__name__}: {e}")
import torch
print("cuda available:", torch.cuda.is_available(), torch.version.cuda,
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
EOF
} >>"$LOG" 2>&1
log "preflight done"

# job NAME TIMEOUT_S ARGS... : one `advisor measure` process, guarded by timeout and the global budget
job() {
  local name=$1 limit=$2; shift 2
  local rem; rem=$(remaining)
  if [ "$rem" -lt 30 ]; then
    log "SKIP $name: global budget exhausted (${rem}s left)"; echo "$name rc=skipped secs=0" >>"$SUMMARY"; return 0
  fi
  [ "$limit" -gt $(( rem - 10 )) ] && limit=$(( rem - 10 ))
  local budget=$(( limit * 6 / 10 ))   # stop starting new runs after 60% of the limit
  local t=$(date +%s)
  log "START $name (timeout ${limit}s, run budget ${budget}s): $*"
  timeout -s TERM -k 20 "$limit" $PY -m measure "$@" --device "$DEVICE" --out "$WORK/profiles/measured" \
      --time-budget "$budget" --format table >>"$LOG" 2>&1
  local rc=$?
  local dt=$(( $(date +%s) - t ))
  log "END $name rc=$rc ${dt}s"
  echo "$name rc=$rc secs=$dt" >>"$SUMMARY"
  return 0
}

R() { echo $(( $1 / RES_DIV / 16 * 16 )); }          # resolution, scaled for dry runs, multiple of 16
S() { if [ "$STEP_CAP" -gt 0 ] && [ "$1" -gt "$STEP_CAP" ]; then echo "$STEP_CAP"; else echo "$1"; fi; }
COMMON=(--random-weights "$SCALE" --precision "$PREC" --idle-seconds "${IDLE_S:-3}")

# 0. device ceilings (bf16 / fp8 matmul, copy bandwidth)
t=$(date +%s); log "START ceilings"
if [ "$DEVICE" = "cpu" ]; then CEIL=(--n 512 --copy-gib 0.125 --repeats 3); else CEIL=(--n 8192 --copy-gib 2 --repeats 20); fi
timeout -s TERM -k 10 90 $PY -m measure.ceilings --device "$DEVICE" "${CEIL[@]}" --out "$WORK/profiles/ceilings" >>"$LOG" 2>&1
rc=$?; log "END ceilings rc=$rc"; echo "ceilings rc=$rc secs=$(( $(date +%s) - t ))" >>"$SUMMARY"

# 1. Z-Image Turbo, bf16, 9 steps, guidance 0 (no CFG), text encoder + VAE
job zimage-1024 100 --pipeline z-image-turbo "${COMMON[@]}" --width "$(R 1024)" --height "$(R 1024)" --steps "$(S 9)" --guidance 0 --warmup 1 --runs 3
# 2. FLUX.1 dev, 28 steps, embedded guidance 3.5, CLIP + T5 + VAE
job flux1dev-1024 120 --pipeline flux-1-dev "${COMMON[@]}" --width "$(R 1024)" --height "$(R 1024)" --steps "$(S 28)" --guidance 3.5 --warmup 1 --runs 2
# 3. FLUX.2 klein 4B distilled, 4 steps, guidance 1 (no CFG)
job klein4b-1024 80 --pipeline flux-2-klein-4b "${COMMON[@]}" --width "$(R 1024)" --height "$(R 1024)" --steps "$(S 4)" --guidance 1 --warmup 1 --runs 3
# 4. FLUX.2 dev transformer only (32.2B bf16 = 60 GiB; Mistral 24B text encoder does not fit beside it), 10 steps
job flux2dev-1024-transformer 130 --pipeline flux-2-dev "${COMMON[@]}" --components transformer --width "$(R 1024)" --height "$(R 1024)" --steps "$(S 10)" --guidance 4 --warmup 1 --runs 2
# 5./6. Z-Image at 512^2 and 1536^2
job zimage-512 70 --pipeline z-image-turbo "${COMMON[@]}" --width "$(R 512)" --height "$(R 512)" --steps "$(S 9)" --guidance 0 --warmup 1 --runs 3
job zimage-1536 100 --pipeline z-image-turbo "${COMMON[@]}" --width "$(R 1536)" --height "$(R 1536)" --steps "$(S 9)" --guidance 0 --warmup 1 --runs 3

# summary: status and median seconds/image of every profile written
log "profiles written:"
$PY - "$WORK/profiles/measured" >>"$LOG" 2>&1 <<'EOF'
import sys
from pathlib import Path
import yaml
for p in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    d = yaml.safe_load(p.read_text())
    s, sm, pw, mem = d["settings"], d["summary"], d["power"], d["memory"]
    step = (sm.get("step_seconds") or {}).get("median")
    print(f"  {p.relative_to(sys.argv[1])}: {d['status']} runs={len(d['runs'])} failures={len(d['failures'])} "
          f"s/img={sm.get('seconds_per_image')} step={step} build={d.get('build_seconds')} "
          f"idle_W={pw.get('idle_watts')} denoise_W={pw.get('denoise_median_watts')} J/img={pw.get('energy_per_image_joules')} "
          f"peak_alloc_GiB={mem.get('torch_max_allocated_gib')} nvml_GiB={mem.get('nvml_used_gib')}")
EOF
cat "$SUMMARY" >>"$LOG"
tar czf "$OUT/profiles.tar.gz" -C "$WORK" profiles
if [ "$COPY_TO_REPO" = "1" ]; then
  mkdir -p profiles/measured profiles/ceilings
  cp -r "$WORK/profiles/measured/." profiles/measured/ && cp -r "$WORK/profiles/ceilings/." profiles/ceilings/
  log "copied profiles into $(pwd)/profiles/"
fi
log "done in $(( $(date +%s) - T0 ))s; $(tar tzf "$OUT/profiles.tar.gz" | grep -c '\.yaml$') yaml files in $OUT/profiles.tar.gz"
exit 0
