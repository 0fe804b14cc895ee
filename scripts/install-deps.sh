#!/usr/bin/env bash
# Installs the Debian 12 packages Sieve needs, if any are missing: LLVM/MLIR 22
# (Debian's bookworm-security packages), the cross-target runners and libraries,
# and the build tools. Nothing is downloaded at build time beyond these.
set -euo pipefail

packages=(
  cmake ninja-build ccache python3
  clang-22 lld-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libclang-rt-22-dev
  libstdc++-12-dev libgtest-dev librsvg2-bin
  libflatbuffers-dev flatbuffers-compiler
  qemu-user qemu-system-arm libc6-dev-arm64-cross libgcc-12-dev-arm64-cross
  # Test-only: Arm NN 20.08's TfLite parser and its reference (CpuRef) backend
  # plugin, for sieve-tflite-oracle, the independent oracle of the TFLite
  # tests (docs/testing.md). The compiler does not use them; without them the
  # oracle is not built and its tests are unsupported.
  libarmnntfliteparser-dev libarmnn-dev libarmnn-cpuref-backend22
  # Bench-only: XNNPACK, the baseline of bench/int8_bench.py (issue 9). Sieve
  # never links it.
  libxnnpack-dev
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
