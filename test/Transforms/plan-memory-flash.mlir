// RUN: sieve-opt %s -sieve-plan-memory="flash-budget=1000" -verify-diagnostics

// Weights beyond the flash budget: the error names the total and points at
// the largest constant.
memref.global "private" constant @small : memref<100xi8> = dense<1>
// expected-error @+1 {{the weights take 1124 bytes, 124 bytes over the flash budget of 1000 bytes; this constant is the largest, with 1024 bytes}}
memref.global "private" constant @large : memref<256xf32> = dense<2.0>
func.func @f(%out: memref<256xf32>) {
  %a = memref.get_global @large : memref<256xf32>
  %b = memref.get_global @small : memref<100xi8>
  memref.copy %a, %out : memref<256xf32> to memref<256xf32>
  return
}
