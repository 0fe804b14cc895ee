// RUN: sieve-opt %s -split-input-file -sieve-attn-logsparse -verify-diagnostics
// RUN: not sieve-opt %s -sieve-attn-logsparse="variant=local" 2>&1 | FileCheck %s --check-prefix=NOWINDOW
// RUN: not sieve-opt %s -sieve-attn-logsparse="variant=sparse" 2>&1 | FileCheck %s --check-prefix=VARIANT
// RUN: not sieve-opt %s -sieve-attn-logsparse="window=3" 2>&1 | FileCheck %s --check-prefix=PLAIN

// NOWINDOW: error: sieve-attn-logsparse: variant=local needs window >= 1, got 0
// VARIANT: error: sieve-attn-logsparse: unknown variant 'sparse'; expected plain, local or restart
// PLAIN: error: sieve-attn-logsparse: window=3 needs variant=local or variant=restart

func.func @not_causal(%q: tensor<1x12x40x64xf32>) -> tensor<1x12x40x64xf32> {
  // expected-error @+1 {{LogSparse attention needs a causal attention: this one lets queries see later keys, which a causal pattern would remove}}
  %o = attn.attention %q, %q, %q {scale = 0.125 : f32} : tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32> -> tensor<1x12x40x64xf32>
  return %o : tensor<1x12x40x64xf32>
}

// -----

func.func @masked(%q: tensor<1x12x40x64xf32>, %m: tensor<1x1x1x40xf32>) -> tensor<1x12x40x64xf32> {
  // expected-error @+1 {{LogSparse attention replaces the mask: this attention has a mask operand, which would be lost}}
  %o = attn.attention %q, %q, %q mask %m {scale = 0.125 : f32, causal} : tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>, tensor<1x1x1x40xf32> -> tensor<1x12x40x64xf32>
  return %o : tensor<1x12x40x64xf32>
}
