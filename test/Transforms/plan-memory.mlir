// RUN: sieve-opt %s -split-input-file -sieve-plan-memory | FileCheck %s
// RUN: sieve-opt %s -split-input-file -sieve-plan-memory="strategy=greedy-by-size alignment=64" | FileCheck %s --check-prefix=ALIGN64

// A chain: a and b overlap at the op that reads a and writes b; c reuses a's
// bytes once a is dead.
// CHECK-LABEL: func @chain
// CHECK-SAME: (%[[IN:.*]]: memref<8x8xf32>, %[[OUT:.*]]: memref<8x8xf32>, %[[ARENA:.*]]: memref<512xi8> {sieve.arena})
// CHECK-SAME: sieve.memory_plan = {alignment = 16 : i64, arena_size = 512 : i64
// CHECK-SAME: lower_bound = 512 : i64
// CHECK-NOT: memref.alloc
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<512xi8> to memref<8x8xf32>
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[C256]]][] : memref<512xi8> to memref<8x8xf32>
// CHECK: linalg.transpose ins(%[[A]] : memref<8x8xf32>) outs(%[[B]] : memref<8x8xf32>)
// CHECK: %[[C0_2:.*]] = arith.constant 0 : index
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%[[C0_2]]][] : memref<512xi8> to memref<8x8xf32>
// CHECK: linalg.transpose ins(%[[B]] : memref<8x8xf32>) outs(%[[C]] : memref<8x8xf32>)
// ALIGN64-LABEL: func @chain
// ALIGN64-SAME: alignment = 64 : i64, arena_size = 512 : i64
// ALIGN64-SAME: strategy = "greedy-by-size"
func.func @chain(%in: memref<8x8xf32>, %out: memref<8x8xf32>) {
  %a = memref.alloc() : memref<8x8xf32>
  linalg.copy ins(%in : memref<8x8xf32>) outs(%a : memref<8x8xf32>)
  %b = memref.alloc() : memref<8x8xf32>
  linalg.transpose ins(%a : memref<8x8xf32>) outs(%b : memref<8x8xf32>) permutation = [1, 0]
  %c = memref.alloc() : memref<8x8xf32>
  linalg.transpose ins(%b : memref<8x8xf32>) outs(%c : memref<8x8xf32>) permutation = [1, 0]
  linalg.copy ins(%c : memref<8x8xf32>) outs(%out : memref<8x8xf32>)
  return
}

// -----

// An elementwise op writes its output in place of its dying input of the
// same size: one buffer for both.
// CHECK-LABEL: func @in_place
// CHECK-SAME: arena_size = 256 : i64
// CHECK-SAME: {first = 3 : i64, last = 4 : i64, loc = "plan-memory.mlir:{{[0-9]+}}:3", offset = 0 : i64, op = "linalg.generic", shares_with = 0 : i64, sharing = "in-place", size = 256 : i64}
#id = affine_map<(d0) -> (d0)>
func.func @in_place(%in: memref<64xf32>, %out: memref<64xf32>) {
  %a = memref.alloc() : memref<64xf32>
  linalg.copy ins(%in : memref<64xf32>) outs(%a : memref<64xf32>)
  %b = memref.alloc() : memref<64xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<64xf32>) outs(%b : memref<64xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  linalg.copy ins(%b : memref<64xf32>) outs(%out : memref<64xf32>)
  return
}

// -----

// Not in place: the input is read again later, so it is still alive.
// CHECK-LABEL: func @input_still_alive
// CHECK-SAME: arena_size = 512 : i64
// CHECK-NOT: sharing
#id = affine_map<(d0) -> (d0)>
func.func @input_still_alive(%in: memref<64xf32>, %out: memref<64xf32>, %out2: memref<64xf32>) {
  %a = memref.alloc() : memref<64xf32>
  linalg.copy ins(%in : memref<64xf32>) outs(%a : memref<64xf32>)
  %b = memref.alloc() : memref<64xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<64xf32>) outs(%b : memref<64xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  linalg.copy ins(%b : memref<64xf32>) outs(%out : memref<64xf32>)
  linalg.copy ins(%a : memref<64xf32>) outs(%out2 : memref<64xf32>)
  return
}

// -----

// Not in place: a transpose reads other elements than it writes.
// CHECK-LABEL: func @transpose_not_in_place
// CHECK-SAME: arena_size = 512 : i64
// CHECK-NOT: sharing
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @transpose_not_in_place(%in: memref<8x8xf32>, %out: memref<8x8xf32>) {
  %a = memref.alloc() : memref<8x8xf32>
  linalg.copy ins(%in : memref<8x8xf32>) outs(%a : memref<8x8xf32>)
  %b = memref.alloc() : memref<8x8xf32>
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<8x8xf32>) outs(%b : memref<8x8xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  linalg.copy ins(%b : memref<8x8xf32>) outs(%out : memref<8x8xf32>)
  return
}

// -----

// Views keep their buffer alive: b (a reshape of a) is read by the last op.
// CHECK-LABEL: func @views
// CHECK-SAME: arena_size = 128 : i64
// CHECK: %[[V:.*]] = memref.view %{{.*}}[%c0][]
// CHECK: memref.expand_shape %[[V]]
// CHECK: memref.view %{{.*}}[%c64][]
func.func @views(%in: memref<16xf32>, %out: memref<4x4xf32>) {
  %a = memref.alloc() : memref<16xf32>
  linalg.copy ins(%in : memref<16xf32>) outs(%a : memref<16xf32>)
  %b = memref.expand_shape %a [[0, 1]] output_shape [4, 4] : memref<16xf32> into memref<4x4xf32>
  %c = memref.alloc() : memref<16xf32>
  linalg.copy ins(%in : memref<16xf32>) outs(%c : memref<16xf32>)
  linalg.copy ins(%b : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
  return
}

// -----

// The buffers of the two branches of an scf.if are never alive together.
// CHECK-LABEL: func @branches
// CHECK-SAME: arena_size = 64 : i64
// CHECK-SAME: sharing = "other-branch"
func.func @branches(%cond: i1, %in: memref<16xf32>, %out: memref<16xf32>) {
  %c0 = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  %s = arith.select %cond, %a, %b : memref<16xf32>
  scf.if %cond {
    linalg.fill ins(%c0 : f32) outs(%a : memref<16xf32>)
  } else {
    memref.copy %in, %b : memref<16xf32> to memref<16xf32>
  }
  memref.copy %s, %out : memref<16xf32> to memref<16xf32>
  return
}

// -----

// No buffers: the arena argument is still added, with size 0.
// CHECK-LABEL: func @nothing
// CHECK-SAME: %{{.*}}: memref<0xi8> {sieve.arena}
// CHECK-SAME: arena_size = 0 : i64
func.func @nothing(%in: memref<4xf32>, %out: memref<4xf32>) {
  linalg.copy ins(%in : memref<4xf32>) outs(%out : memref<4xf32>)
  return
}
