// RUN: sieve-opt %s -split-input-file -sieve-outline-parallel="max-workers=3" | FileCheck %s
// RUN: sieve-opt %s -split-input-file -sieve-outline-parallel="outline=false" | FileCheck %s --check-prefix=SERIAL

// A 3x2 loop with two scratch buffers: each becomes one buffer of three
// 64-byte slots before the loop (N copies), the body a task function that
// recovers (i, j) from the task index and uses its worker's slot. The views
// of the inputs are recomputed in the task, which takes the base buffers and
// the scalar.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @two_d(%in: memref<6x8xf32>, %out: memref<6x8xf32>, %s: f32) {
  scf.forall (%i, %j) in (3, 2) {
    %r = affine.apply affine_map<(d0) -> (d0 * 2)>(%i)
    %c = affine.apply affine_map<(d0) -> (d0 * 4)>(%j)
    %a = memref.subview %in[%r, %c] [2, 4] [1, 1] : memref<6x8xf32> to memref<2x4xf32, strided<[8, 1], offset: ?>>
    %o = memref.subview %out[%r, %c] [2, 4] [1, 1] : memref<6x8xf32> to memref<2x4xf32, strided<[8, 1], offset: ?>>
    %t = memref.alloc() : memref<2x4xf32>
    %u = memref.alloc() : memref<3xi8>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : memref<2x4xf32, strided<[8, 1], offset: ?>>) outs(%t : memref<2x4xf32>) {
    ^bb0(%x: f32, %y: f32):
      %m = arith.mulf %x, %s : f32
      linalg.yield %m : f32
    }
    memref.copy %t, %o : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1], offset: ?>>
    memref.dealloc %u : memref<3xi8>
  } {sieve.parallel}
  return
}
// CHECK-LABEL: func.func @two_d(
// CHECK-SAME: %[[IN:.*]]: memref<6x8xf32>, %[[OUT:.*]]: memref<6x8xf32>, %[[S:.*]]: f32)
// CHECK-SAME: sieve.parallel_plan = {loops = [{loc = "{{.*}}outline-parallel.mlir:11:3", scratch_buffers = 2 : i64, scratch_bytes = 128 : i64, tasks = 6 : i64}], max_workers = 3 : i64, outlined = true}
// CHECK:      %[[T:.*]] = memref.alloc() {alignment = 64 : i64} : memref<192xi8>
// CHECK:      %[[U:.*]] = memref.alloc() {alignment = 64 : i64} : memref<192xi8>
// CHECK:      call @two_d_parallel0_launch(%[[IN]], %[[OUT]], %[[S]], %[[T]], %[[U]])
// CHECK-NOT:  scf.forall
// CHECK:      return

// CHECK:      func.func private @two_d_parallel0(%[[TASK:.*]]: index, %[[W:.*]]: index, %[[IN2:.*]]: memref<6x8xf32>, %[[OUT2:.*]]: memref<6x8xf32>, %[[S2:.*]]: f32, %[[T2:.*]]: memref<192xi8>, %[[U2:.*]]: memref<192xi8>)
// CHECK-SAME: llvm.linkage = #llvm.linkage<internal>
// CHECK:      %[[C2:.*]] = arith.constant 2 : index
// CHECK:      %[[J:.*]] = arith.remui %[[TASK]], %[[C2]]
// CHECK:      %[[I:.*]] = arith.divui %[[TASK]], %[[C2]]
// CHECK:      affine.apply #{{.*}}(%[[I]])
// CHECK:      affine.apply #{{.*}}(%[[J]])
// CHECK:      memref.subview %[[IN2]]
// CHECK:      memref.subview %[[OUT2]]
// CHECK:      %[[C64:.*]] = arith.constant 64 : index
// CHECK:      %[[OFF:.*]] = arith.muli %[[W]], %[[C64]]
// CHECK:      %[[TV:.*]] = memref.view %[[T2]][%[[OFF]]][] : memref<192xi8> to memref<2x4xf32>
// CHECK:      %[[OFF2:.*]] = arith.muli %[[W]], %{{.*}}
// CHECK:      memref.view %[[U2]][%[[OFF2]]][] : memref<192xi8> to memref<3xi8>
// CHECK:      linalg.generic
// CHECK-SAME: outs(%[[TV]] : memref<2x4xf32>)
// CHECK:      arith.mulf %{{.*}}, %[[S2]]
// CHECK:      memref.copy %[[TV]]
// CHECK-NOT:  memref.dealloc
// CHECK-NOT:  memref.alloc
// CHECK:      return

// CHECK:      func.func private @two_d_parallel0_launch(memref<6x8xf32>, memref<6x8xf32>, f32, memref<192xi8>, memref<192xi8>)
// CHECK-SAME: sieve.parallel_max_workers = 3 : i64, sieve.parallel_task = @two_d_parallel0, sieve.parallel_tasks = 6 : i64

// Without threads the loop stays, its scratch before it as one copy.
// SERIAL-LABEL: func.func @two_d(
// SERIAL-SAME: sieve.parallel_plan = {loops = [{loc = "{{.*}}", scratch_buffers = 2 : i64, scratch_bytes = 35 : i64, tasks = 6 : i64}], max_workers = 1 : i64, outlined = false}
// SERIAL:      memref.alloc() : memref<2x4xf32>
// SERIAL:      memref.alloc() : memref<3xi8>
// SERIAL:      scf.forall (%{{.*}}, %{{.*}}) in (3, 2)
// SERIAL-NOT:  memref.alloc
// SERIAL:      } {sieve.parallel}
// SERIAL-NOT:  func.func private

// -----

// Bounds and steps: the iv is lb + position * step. The inner marked loop
// runs serially inside the task (only the outermost is outlined); its
// scratch is the task's. A constant is recomputed in the task.
func.func @nested(%out: memref<16xf32>) {
  %cst = arith.constant 1.0 : f32
  scf.forall (%i) = (2) to (14) step (3) {
    scf.forall (%k) in (2) {
      %t = memref.alloc() : memref<4xf32>
      linalg.fill ins(%cst : f32) outs(%t : memref<4xf32>)
      %o = memref.subview %out[%i] [2] [1] : memref<16xf32> to memref<2xf32, strided<[1], offset: ?>>
      %ts = memref.subview %t[%k] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: ?>>
      memref.copy %ts, %o : memref<2xf32, strided<[1], offset: ?>> to memref<2xf32, strided<[1], offset: ?>>
    } {sieve.parallel}
  } {sieve.parallel}
  return
}
// CHECK-LABEL: func.func @nested(
// CHECK-SAME: tasks = 4 : i64
// CHECK:      %[[T:.*]] = memref.alloc() {alignment = 64 : i64} : memref<192xi8>
// CHECK:      call @nested_parallel0_launch(%{{.*}}, %[[T]])
// CHECK:      func.func private @nested_parallel0(%[[TASK:.*]]: index, %[[W:.*]]: index, %{{.*}}: memref<16xf32>, %{{.*}}: memref<192xi8>)
// CHECK:      %[[C3:.*]] = arith.constant 3 : index
// CHECK:      %[[M:.*]] = arith.muli %[[TASK]], %[[C3]]
// CHECK:      %[[C2:.*]] = arith.constant 2 : index
// CHECK:      %[[I:.*]] = arith.addi %[[M]], %[[C2]]
// CHECK:      %[[CST:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:      scf.forall (%{{.*}}) in (2)
// CHECK:        memref.view
// CHECK:        linalg.fill ins(%[[CST]] : f32)
// CHECK:        memref.subview %{{.*}}[%[[I]]]
// CHECK:      } {sieve.parallel}

// -----

// Unmarked loops are left alone; the plan says there were no marked loops.
func.func @none(%out: memref<4xf32>) {
  scf.forall (%i) in (4) {
    %t = memref.alloc() : memref<4xf32>
    memref.copy %t, %out : memref<4xf32> to memref<4xf32>
  }
  return
}
// CHECK-LABEL: func.func @none(
// CHECK-SAME: sieve.parallel_plan = {loops = [], max_workers = 3 : i64, outlined = true}
// CHECK:      scf.forall
// CHECK:        memref.alloc() : memref<4xf32>
// CHECK-NOT:  func.func private
