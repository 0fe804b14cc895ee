// RUN: sieve-opt %s -split-input-file -sieve-attn-token-sparse="probe=8 sinks=4 recent=4" -verify-diagnostics
// RUN: not sieve-opt %s -sieve-attn-token-sparse="tau=0" 2>&1 | FileCheck %s --check-prefix=TAU0
// RUN: not sieve-opt %s -sieve-attn-token-sparse="tau=1.01" 2>&1 | FileCheck %s --check-prefix=TAU1
// RUN: not sieve-opt %s -sieve-attn-token-sparse="probe=0" 2>&1 | FileCheck %s --check-prefix=PROBE0
// RUN: not sieve-opt %s -split-input-file -sieve-attn-token-sparse="probe=41" 2>&1 | FileCheck %s --check-prefix=PROBEL
// RUN: not sieve-opt %s -split-input-file -sieve-attn-token-sparse="probe=8 sinks=30 recent=11" 2>&1 | FileCheck %s --check-prefix=SINKS

// TAU0: error: sieve-attn-token-sparse: tau must be in (0, 1], got 0
// TAU1: error: sieve-attn-token-sparse: tau must be in (0, 1], got 1.01
// PROBE0: error: sieve-attn-token-sparse: probe must be >= 1 query, got 0
// PROBEL: error: probe=41 is larger than the 40 queries
// SINKS: error: sinks + recent (30 + 11) exceed the 40 tokens
// RUN: not sieve-opt %s -split-input-file -sieve-attn-token-sparse="probe=8 cache-capacity=39" 2>&1 | FileCheck %s --check-prefix=CAP
// RUN: not sieve-opt %s -sieve-attn-token-sparse="cache-capacity=-1" 2>&1 | FileCheck %s --check-prefix=CAPNEG
// CAP: error: cache-capacity=39 cannot hold the 40 tokens of the prefill
// CAPNEG: error: sieve-attn-token-sparse: cache-capacity must be >= 0 (0: no cache outputs), got -1

func.func @masked(%q: tensor<1x4x40x16xf32>, %m: tensor<1x1x1x40xf32>) -> tensor<1x4x40x16xf32> {
  // expected-error @+1 {{token-sparse attention cannot keep a mask operand yet}}
  %o = attn.attention %q, %q, %q mask %m {scale = 0.125 : f32, causal} : tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32>, tensor<1x1x1x40xf32> -> tensor<1x4x40x16xf32>
  return %o : tensor<1x4x40x16xf32>
}

// -----

func.func @blhd(%q: tensor<1x40x4x16xf32>) -> tensor<1x40x4x16xf32> {
  // expected-error @+1 {{token-sparse attention needs the bhld layout with rank 3 ([H, L, D]) or 4 ([B, H, L, D])}}
  %o = attn.attention %q, %q, %q {scale = 0.125 : f32, layout = #attn.layout<blhd>} : tensor<1x40x4x16xf32>, tensor<1x40x4x16xf32>, tensor<1x40x4x16xf32> -> tensor<1x40x4x16xf32>
  return %o : tensor<1x40x4x16xf32>
}

// -----

func.func @f16(%q: tensor<1x4x40x16xf16>) -> tensor<1x4x40x16xf16> {
  // expected-error @+1 {{token-sparse attention needs static f32 operands}}
  %o = attn.attention %q, %q, %q {scale = 0.125 : f32} : tensor<1x4x40x16xf16>, tensor<1x4x40x16xf16>, tensor<1x4x40x16xf16> -> tensor<1x4x40x16xf16>
  return %o : tensor<1x4x40x16xf16>
}

// -----

// Fewer queries than keys and no concat of the past and the new token:
// stays dense (test/Transforms/token-sparse-raise-decode.mlir).
func.func @decode(%q: tensor<1x4x1x16xf32>, %k: tensor<1x4x40x16xf32>) -> tensor<1x4x1x16xf32> {
  // expected-warning @+1 {{token-sparse: this attention stays dense (a decode step's keys and values must be a concat of the past and the new token along the length)}}
  %o = attn.attention %q, %k, %k {scale = 0.125 : f32, causal} : tensor<1x4x1x16xf32>, tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32> -> tensor<1x4x1x16xf32>
  return %o : tensor<1x4x1x16xf32>
}

// -----

func.func @fine(%q: tensor<1x4x40x16xf32>) -> tensor<1x4x40x16xf32> {
  // expected-warning @+1 {{token-sparse attention (ZipVL) changes the model}}
  %o = attn.attention %q, %q, %q {scale = 0.125 : f32, causal} : tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32> -> tensor<1x4x40x16xf32>
  return %o : tensor<1x4x40x16xf32>
}
