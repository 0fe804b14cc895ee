// RUN: sieve-opt %s -sieve-plan-memory="max-arena-bytes=100" -verify-diagnostics

// An arena beyond what the target can address is an error whatever the
// budget (max-arena-bytes comes from the target table: 2^31-1 bytes on a
// 32-bit MCU).
func.func @addressable(%in: memref<32xf32>, %out: memref<32xf32>) {
  %a = memref.alloc() : memref<32xf32>
  // expected-error @+1 {{the memory plan needs a 128-byte arena, more than the 100 bytes the target can address; at this 'linalg.copy' 128 bytes of buffers are live}}
  linalg.copy ins(%in : memref<32xf32>) outs(%a : memref<32xf32>)
  linalg.copy ins(%a : memref<32xf32>) outs(%out : memref<32xf32>)
  return
}
