// RUN: sieve-opt %s -split-input-file -sieve-outline-layers="min-ops=1" | FileCheck %s
// RUN: sieve-opt %s -split-input-file -sieve-outline-layers | FileCheck %s --check-prefix=GROUP

// Two layers through the arena: each becomes a private, internal, noinline
// function of the buffers it uses. The views, the constant offsets and the
// scalar constant are recomputed in the callee (the arena is passed whole,
// so the offsets stay constant there); the entry keeps the calls in order.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @m_run(%in: memref<1x8xf32>, %out: memref<1x8xf32>, %arena: memref<64xi8> {llvm.align = 16 : i64}) -> i32 attributes {sieve.entry} {
  %status = arith.constant 0 : i32
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  %v = memref.view %arena[%c0][] : memref<64xi8> to memref<1x8xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%in : memref<1x8xf32>) outs(%v : memref<1x8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.mulf %x, %two : f32
    linalg.yield %m : f32
  }
  %c32 = arith.constant 32 : index
  %w = memref.view %arena[%c32][] : memref<64xi8> to memref<1x8xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%v : memref<1x8xf32>) outs(%w : memref<1x8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  memref.copy %w, %out : memref<1x8xf32> to memref<1x8xf32>
  return %status : i32
}
// CHECK-LABEL: func.func @m_run(
// CHECK-SAME: %[[IN:[^:]*]]: memref<1x8xf32>, %[[OUT:[^:]*]]: memref<1x8xf32>, %[[ARENA:[^:]*]]: memref<64xi8> {llvm.align = 16 : i64})
// CHECK-NOT:  linalg.
// CHECK:      call @sieve_layer0(%[[IN]], %[[ARENA]]) : (memref<1x8xf32>, memref<64xi8>) -> ()
// CHECK-NEXT: call @sieve_layer1(%[[ARENA]]) : (memref<64xi8>) -> ()
// CHECK-NEXT: call @sieve_layer2(%[[OUT]], %[[ARENA]]) : (memref<1x8xf32>, memref<64xi8>) -> ()
// CHECK-NOT:  linalg.
// CHECK-NOT:  memref.copy
// CHECK:      return

// CHECK:      func.func private @sieve_layer0(%[[IN0:[^:]*]]: memref<1x8xf32>, %[[A0:[^:]*]]: memref<64xi8> {llvm.align = 16 : i64})
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK-DAG:  %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:  %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:      %[[V0:.*]] = memref.view %[[A0]][%[[C0]]][] : memref<64xi8> to memref<1x8xf32>
// CHECK:      linalg.generic
// CHECK-SAME: ins(%[[IN0]] : memref<1x8xf32>) outs(%[[V0]] : memref<1x8xf32>)
// CHECK:      arith.mulf %{{.*}}, %[[TWO]]
// CHECK:      return

// CHECK:      func.func private @sieve_layer1(%[[A1:[^:]*]]: memref<64xi8> {llvm.align = 16 : i64})
// CHECK-DAG:  memref.view %[[A1]][%{{.*}}][] : memref<64xi8> to memref<1x8xf32>
// CHECK-DAG:  %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG:  memref.view %[[A1]][%[[C32]]][] : memref<64xi8> to memref<1x8xf32>
// CHECK:      math.exp
// CHECK:      return

// CHECK:      func.func private @sieve_layer2(%[[OUT2:[^:]*]]: memref<1x8xf32>, %[[A2:[^:]*]]: memref<64xi8> {llvm.align = 16 : i64})
// CHECK:      %[[W2:.*]] = memref.view %[[A2]]
// CHECK:      memref.copy %[[W2]], %[[OUT2]]
// CHECK:      return

// By default (min-ops=16) these small layers share one function.
// GROUP-LABEL: func.func @m_run(
// GROUP:       call @sieve_layer0(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<1x8xf32>, memref<1x8xf32>, memref<64xi8>) -> ()
// GROUP-NEXT:  return
// GROUP:       func.func private @sieve_layer0(
// GROUP:       arith.mulf
// GROUP:       math.exp
// GROUP:       memref.copy
// GROUP-NOT:   func.func private @sieve_layer1

// -----

// Calls of parallel launches stay in the entry (only it receives the hook),
// and so do ops that define values (a load), buffers that cannot be passed
// as a bare pointer (a dynamic shape), and the layers that use them. Each
// cuts the run of layers.
#id1 = affine_map<(d0) -> (d0)>
func.func private @m_run_parallel0_launch(memref<8xf32>) attributes {sieve.parallel_task = @m_run_parallel0, sieve.parallel_tasks = 2 : i64, sieve.parallel_max_workers = 1 : i64}
func.func private @m_run_parallel0(%t: index, %w: index, %b: memref<8xf32>) {
  return
}
func.func @m_run(%in: memref<8xf32>, %out: memref<8xf32>, %dyn: memref<?xf32>, %arena: memref<64xi8>) -> i32 attributes {sieve.entry} {
  %status = arith.constant 0 : i32
  %c0 = arith.constant 0 : index
  %v = memref.view %arena[%c0][] : memref<64xi8> to memref<8xf32>
  memref.copy %in, %v : memref<8xf32> to memref<8xf32>
  call @m_run_parallel0_launch(%v) : (memref<8xf32>) -> ()
  memref.copy %v, %out : memref<8xf32> to memref<8xf32>
  %x = memref.load %v[%c0] : memref<8xf32>
  linalg.fill ins(%x : f32) outs(%out : memref<8xf32>)
  %s = memref.subview %dyn[0] [8] [1] : memref<?xf32> to memref<8xf32, strided<[1]>>
  memref.copy %in, %s : memref<8xf32> to memref<8xf32, strided<[1]>>
  return %status : i32
}
// CHECK-LABEL: func.func @m_run(
// CHECK-SAME: %[[IN:[^:]*]]: memref<8xf32>, %[[OUT:[^:]*]]: memref<8xf32>, %[[DYN:[^:]*]]: memref<?xf32>, %[[ARENA:[^:]*]]: memref<64xi8>)
// CHECK:      call @sieve_layer0(%[[IN]], %[[ARENA]])
// CHECK:      call @m_run_parallel0_launch(
// CHECK:      call @sieve_layer1(%[[OUT]], %[[ARENA]])
// CHECK:      %[[X:.*]] = memref.load
// CHECK:      call @sieve_layer2(%[[OUT]], %[[X]]) : (memref<8xf32>, f32) -> ()
// CHECK:      memref.subview %[[DYN]]
// CHECK:      memref.copy %[[IN]], %{{.*}} : memref<8xf32> to memref<8xf32, strided<[1]>>
// CHECK:      return
// CHECK:      func.func private @sieve_layer0(
// CHECK:      func.func private @sieve_layer1(
// CHECK:      func.func private @sieve_layer2(%{{.*}}: memref<8xf32>, %{{.*}}: f32)
// CHECK:      linalg.fill
// CHECK-NOT:  func.func private @sieve_layer3

// GROUP-LABEL: func.func @m_run(
// GROUP:       call @sieve_layer0(
// GROUP-NEXT:  call @m_run_parallel0_launch(
// GROUP-NEXT:  call @sieve_layer1(
// GROUP-NEXT:  memref.load
// GROUP:       linalg.fill
// GROUP:       memref.copy
// GROUP:       return

// -----

// Cold code (the unrolled border patches of a cached 2-D grid, marked by
// sieve-lower-patch-stages with a FusedLoc of metadata "sieve.cold") gets
// functions of its own, with LLVM's `optsize` so that -O3 does not unroll
// it; the copies between stay in a run of their own even with the default
// min-ops, which would otherwise group these small ops in one function.
func.func @m_run(%in: memref<8xf32>, %out: memref<8xf32>, %arena: memref<64xi8>) -> i32 attributes {sieve.entry} {
  %status = arith.constant 0 : i32
  %c0 = arith.constant 0 : index
  %v = memref.view %arena[%c0][] : memref<64xi8> to memref<8xf32>
  memref.copy %in, %v : memref<8xf32> to memref<8xf32>
  memref.copy %v, %out : memref<8xf32> to memref<8xf32> loc(fused<"sieve.cold">["conv_1"])
  memref.copy %out, %v : memref<8xf32> to memref<8xf32> loc(fused<"sieve.cold">["conv_2"])
  memref.copy %v, %out : memref<8xf32> to memref<8xf32>
  return %status : i32
}
// CHECK-LABEL: func.func @m_run(
// CHECK:      call @sieve_layer0(
// CHECK-NEXT: call @sieve_layer1(
// CHECK-NEXT: call @sieve_layer2(
// CHECK-NEXT: call @sieve_layer3(
// CHECK:      func.func private @sieve_layer0({{.*}}) attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK:      func.func private @sieve_layer1({{.*}}) attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline", "optsize"]}
// CHECK:      func.func private @sieve_layer2({{.*}}) attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline", "optsize"]}
// CHECK:      func.func private @sieve_layer3({{.*}}) attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}

// GROUP-LABEL: func.func @m_run(
// GROUP:       call @sieve_layer0(
// GROUP-NEXT:  call @sieve_layer1(
// GROUP-NEXT:  call @sieve_layer2(
// GROUP-NEXT:  return
// GROUP:       func.func private @sieve_layer0({{.*}}) attributes {{.*}}passthrough = ["noinline"]}
// GROUP:       func.func private @sieve_layer1({{.*}}) attributes {{.*}}passthrough = ["noinline", "optsize"]}
// GROUP:       func.func private @sieve_layer2({{.*}}) attributes {{.*}}passthrough = ["noinline"]}

// -----

// Cold code inside a loop (the border patches unrolled in each band of a
// cached grid) gets a function of its own, with `optsize`, called from the
// loop, which keeps -O3 for the rest of its body. The callee takes the
// loop's induction variable and recomputes the views at the offsets that
// depend on it. A cold loop moves whole: its body is not outlined again.
func.func @m_run(%in: memref<8xf32>, %out: memref<8xf32>, %arena: memref<64xi8>) -> i32 attributes {sieve.entry} {
  %status = arith.constant 0 : i32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %v = memref.view %arena[%c0][] : memref<64xi8> to memref<8xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %s = memref.subview %v[%i] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: ?>>
    %t = memref.subview %in[%i] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: ?>>
    %u = memref.subview %out[%i] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: ?>>
    scf.for %j = %c0 to %c4 step %c1 {
      memref.copy %t, %s : memref<4xf32, strided<[1], offset: ?>> to memref<4xf32, strided<[1], offset: ?>> loc(fused<"sieve.cold">["conv_1"])
    } loc(fused<"sieve.cold">["conv_1"])
    memref.copy %s, %u : memref<4xf32, strided<[1], offset: ?>> to memref<4xf32, strided<[1], offset: ?>>
  }
  return %status : i32
}
// CHECK-LABEL: func.func @m_run(
// CHECK:      call @sieve_layer0(
// CHECK-NEXT: return
// CHECK:      func.func private @sieve_layer0(%[[IN:[^:]*]]: memref<8xf32>, %[[OUT:[^:]*]]: memref<8xf32>, %[[A:[^:]*]]: memref<64xi8>) attributes {{.*}}passthrough = ["noinline"]}
// CHECK:      scf.for %[[I:[^ ]*]] =
// CHECK-NOT:  memref.copy
// CHECK:      %[[U:.*]] = memref.subview %[[OUT]][%[[I]]]
// CHECK-NEXT: call @sieve_layer1(%[[IN]], %[[A]], %[[I]]) : (memref<8xf32>, memref<64xi8>, index) -> ()
// CHECK-NEXT: memref.copy %{{.*}}, %[[U]]
// CHECK-NEXT: }
// CHECK-NEXT: return
// CHECK:      func.func private @sieve_layer1(%[[IN1:[^:]*]]: memref<8xf32>, %[[A1:[^:]*]]: memref<64xi8>, %[[I1:[^:]*]]: index) attributes {{.*}}passthrough = ["noinline", "optsize"]}
// CHECK-DAG:  %[[V1:.*]] = memref.view %[[A1]]
// CHECK-DAG:  %[[S1:.*]] = memref.subview %[[V1]][%[[I1]]]
// CHECK-DAG:  %[[T1:.*]] = memref.subview %[[IN1]][%[[I1]]]
// CHECK:      scf.for
// CHECK-NEXT: memref.copy %[[T1]], %[[S1]]
// CHECK-NEXT: }
// CHECK-NEXT: return
// CHECK-NOT:  func.func

// GROUP-LABEL: func.func @m_run(
// GROUP:       func.func private @sieve_layer0({{.*}}) attributes {{.*}}passthrough = ["noinline"]}
// GROUP:       scf.for
// GROUP:       call @sieve_layer1(
// GROUP:       func.func private @sieve_layer1({{.*}}) attributes {{.*}}passthrough = ["noinline", "optsize"]}
