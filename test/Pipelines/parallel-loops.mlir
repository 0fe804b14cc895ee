// A loop marked sieve.parallel on tensors keeps its marker through one-shot
// bufferization, so the bufferize stage outlines it on a CPU (scratch in
// max_workers copies) and only hoists its scratch on an MCU.
// RUN: sieve-opt %s -sieve-import-pipeline -sieve-lower-tosa-pipeline -sieve-fuse-pipeline -sieve-bufferize-pipeline="threads=3" | FileCheck %s --check-prefix=CPU
// RUN: sieve-opt %s -sieve-import-pipeline -sieve-lower-tosa-pipeline -sieve-fuse-pipeline -sieve-bufferize-pipeline="target=cortex-m55" | FileCheck %s --check-prefix=MCU
// RUN: sieve-opt %s -pass-pipeline='builtin.module(sieve-compile-pipeline{name=blocks})' | FileCheck %s --check-prefix=LLVM

#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<8x16xf32> {
  %init = tensor.empty() : tensor<8x16xf32>
  %zero = arith.constant 0.0 : f32
  %r = scf.forall (%i) in (4) shared_outs(%o = %init) -> tensor<8x16xf32> {
    %off = affine.apply affine_map<(d0) -> (d0 * 2)>(%i)
    %xs = tensor.extract_slice %x[%off, 0] [2, 16] [1, 1] : tensor<8x16xf32> to tensor<2x16xf32>
    %e = tensor.empty() : tensor<2x16xf32>
    %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x16xf32>) -> tensor<2x16xf32>
    %p = linalg.matmul ins(%xs, %w : tensor<2x16xf32>, tensor<16x16xf32>) outs(%z : tensor<2x16xf32>) -> tensor<2x16xf32>
    %e2 = tensor.empty() : tensor<2x16xf32>
    %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%p : tensor<2x16xf32>) outs(%e2 : tensor<2x16xf32>) {
    ^bb0(%a: f32, %b: f32):
      %y = arith.mulf %a, %a : f32
      linalg.yield %y : f32
    } -> tensor<2x16xf32>
    %q = linalg.matmul ins(%t, %w : tensor<2x16xf32>, tensor<16x16xf32>) outs(%z : tensor<2x16xf32>) -> tensor<2x16xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %q into %o[%off, 0] [2, 16] [1, 1] : tensor<2x16xf32> into tensor<8x16xf32>
    }
  } {sieve.parallel}
  return %r : tensor<8x16xf32>
}
// CPU: func.func @main(%{{.*}}: memref<8x16xf32>, %{{.*}}: memref<16x16xf32>, %{{.*}}: memref<8x16xf32>)
// CPU-SAME: max_workers = 3 : i64, outlined = true
// CPU-NOT: scf.forall
// CPU: memref.alloc() {alignment = 64 : i64} : memref<{{[0-9]+}}xi8>
// CPU: call @main_parallel0_launch(
// CPU: func.func private @main_parallel0(%{{.*}}: index, %{{.*}}: index,
// CPU: memref.view
// CPU-NOT: memref.alloc
// CPU: func.func private @main_parallel0_launch(
// CPU-SAME: sieve.parallel_tasks = 4 : i64

// MCU: func.func @main(
// MCU-SAME: max_workers = 1 : i64, outlined = false
// MCU: memref.alloc()
// MCU: scf.forall (%{{.*}}) in (4) {
// MCU-NOT: memref.alloc
// MCU: } {sieve.parallel}
// MCU-NOT: func.func private

// LLVM: llvm.func @blocks_run(
// LLVM: llvm.call @blocks_run_parallel(
// LLVM: llvm.func @blocks_run_parallel(
// LLVM: llvm.call %{{.*}}(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : !llvm.ptr, (!llvm.ptr, i32, i32, !llvm.ptr, !llvm.ptr) -> ()
// LLVM: llvm.func internal @main_parallel0(
// LLVM: llvm.func internal @blocks_serial_for(
// LLVM: llvm.func internal @main_parallel0_task(%{{.*}}: !llvm.ptr, %{{.*}}: i32, %{{.*}}: i32)
