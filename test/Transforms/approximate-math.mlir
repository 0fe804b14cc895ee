// RUN: sieve-opt %s -sieve-approximate-math | FileCheck %s
// RUN: sieve-opt %s -sieve-approximate-math -convert-math-to-llvm -convert-arith-to-llvm -convert-func-to-llvm -reconcile-unrealized-casts | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// No libm call survives: what remains is arithmetic.
// CHECK-LABEL: func @transcendental
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.floor
// CHECK: return
// LLVM-NOT: call {{.*}}@{{(exp|tanh|floor|expf|tanhf|floorf)}}
// LLVM-NOT: @llvm.floor
func.func @transcendental(%x: f32, %v: vector<4xf32>) -> (f32, f32, f32, vector<4xf32>) {
  %e = math.exp %x : f32
  %t = math.tanh %x : f32
  %f = math.floor %x : f32
  %ev = math.exp %v : vector<4xf32>
  return %e, %t, %f, %ev : f32, f32, f32, vector<4xf32>
}

// floor becomes an integer round trip with a step down, kept for |x| >= 2^23.
// CHECK-LABEL: func @floor
// CHECK: %[[ABS:.*]] = math.absf %[[X:.*]] : f32
// CHECK: %[[SMALL:.*]] = arith.cmpf olt, %[[ABS]], %{{.*}} : f32
// CHECK: %[[I:.*]] = arith.fptosi %[[X]] : f32 to i32
// CHECK: %[[T:.*]] = arith.sitofp %[[I]] : i32 to f32
// CHECK: %[[UP:.*]] = arith.cmpf ogt, %[[T]], %[[X]] : f32
// CHECK: %[[DOWN:.*]] = arith.subf %[[T]], %{{.*}} : f32
// CHECK: %[[FLOOR:.*]] = arith.select %[[UP]], %[[DOWN]], %[[T]] : f32
// CHECK: arith.select %[[SMALL]], %[[FLOOR]], %[[X]] : f32
func.func @floor(%x: f32) -> f32 {
  %f = math.floor %x : f32
  return %f : f32
}
