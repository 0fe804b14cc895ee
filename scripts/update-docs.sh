#!/usr/bin/env bash
# Copies the references mlir-tblgen generated (ninja mlir-doc) into
# docs/generated/, where test/Docs/generated-docs.test expects them.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$root/docs/generated"
mkdir -p "$root/docs/generated"
cp -r "$build/docs/." "$root/docs/generated/"
echo "updated docs/generated from $build/docs"
