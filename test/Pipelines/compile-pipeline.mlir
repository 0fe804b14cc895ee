// RUN: sieve-opt %s -pass-pipeline='builtin.module(sieve-compile-pipeline{target=cortex-m4 name=tiny})' | FileCheck %s --check-prefix=M4
// RUN: sieve-opt %s -pass-pipeline='builtin.module(sieve-compile-pipeline{target=aarch64 name=tiny})' | FileCheck %s --check-prefix=A64
// RUN: not sieve-opt %s -pass-pipeline='builtin.module(sieve-compile-pipeline{target=z80})' 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not sieve-opt %s -pass-pipeline='builtin.module(sieve-compile-pipeline{memory-budget=lots})' 2>&1 | FileCheck %s --check-prefix=BUDGET
// RUN: not sieve-opt %s -pass-pipeline='builtin.module(sieve-compile-pipeline{target=cortex-m4 memory-budget=8})' 2>&1 | FileCheck %s --check-prefix=OVER

// The whole pipeline ends in the LLVM dialect with the C entry point: bare
// pointers for the input, the output and the arena, and an i32 status. On a
// 32-bit MCU the index type is 32 bits wide.
// M4: llvm.func @tiny_run(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// M4-NOT: llvm.mlir.constant({{.*}}) : i64
// M4: llvm.return %{{.*}} : i32
// A64: llvm.func @tiny_run(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// A64: llvm.mlir.constant({{.*}} : index) : i64

// TARGET: unknown target 'z80'; known targets: x86-64-avx2, x86-64-avx512, aarch64, cortex-m4, cortex-m7, cortex-m55
// BUDGET: invalid memory budget 'lots'; write a size such as 262144, 256KiB, 320KB or 0.5MiB, or 'none'
// OVER: error: the memory plan needs a 16-byte arena, 8 bytes over the budget of 8 bytes
func.func @main(%x: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %e = tosa.exp %x : (tensor<1x16xf32>) -> tensor<1x16xf32>
  %r = tosa.reciprocal %e : (tensor<1x16xf32>) -> tensor<1x16xf32>
  %shape = tosa.const_shape {values = dense<[16, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %t = tosa.reshape %r, %shape : (tensor<1x16xf32>, !tosa.shape<2>) -> tensor<16x1xf32>
  %p = tosa.transpose %t {perms = array<i32: 1, 0>} : (tensor<16x1xf32>) -> tensor<1x16xf32>
  %sum = tosa.reduce_sum %p {axis = 1 : i32} : (tensor<1x16xf32>) -> tensor<1x1xf32>
  %s = tosa.sub %x, %sum : (tensor<1x16xf32>, tensor<1x1xf32>) -> tensor<1x16xf32>
  return %s : tensor<1x16xf32>
}
