// RUN: sieve-opt %s --sieve-vectorize-int8="target=cortex-m4 isa=none kernels=avx2" -verify-diagnostics
// RUN: not sieve-opt %s --sieve-vectorize-int8="kernels=sve" 2>&1 | FileCheck %s --check-prefix=KERNELS
// RUN: not sieve-opt %s --sieve-vectorize-int8="isa=sve" 2>&1 | FileCheck %s --check-prefix=ISA
// RUN: not sieve-opt %s --sieve-vectorize-int8="target=cortex-m4 isa=dsp kernels=mve" 2>&1 | FileCheck %s --check-prefix=MVE

// KERNELS: error: sieve-vectorize-int8: unknown kernels 'sve'; expected generic, vector, avx2, avx512, neon, dsp or mve
// ISA: error: sieve-vectorize-int8: unknown isa 'sve'; expected avx2, avx512, neon, dsp, mve or none
// MVE: error: --int8-kernels=mve: target 'cortex-m4' has no MVE (Helium) instructions

memref.global "private" constant @w : memref<2x1x1x3xi8> = dense<1>
func.func @forced(%in: memref<1x1x5x3xi8>, %out: memref<1x1x5x2xi32>) {
  %w = memref.get_global @w : memref<2x1x1x3xi8>
  %izp = arith.constant -128 : i32
  %wzp = arith.constant 0 : i32
  // expected-error @below {{--int8-kernels=avx2: target 'cortex-m4' has no AVX2 instructions}}
  linalg.conv_2d_nhwc_fhwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%in, %w, %izp, %wzp : memref<1x1x5x3xi8>, memref<2x1x1x3xi8>, i32, i32) outs(%out : memref<1x1x5x2xi32>)
  return
}
