// RUN: sieve-opt %s -split-input-file -sieve-export-entry=name=m -verify-diagnostics | FileCheck %s

// Run-time checks become the status: 0, or the number of the first check
// that failed. They are recorded for the header and the report.
// CHECK-LABEL: func @m_run
// CHECK-SAME: sieve.checks = [{loc = "{{.*}}", message = "x must not be negative", status = 1 : i32}, {loc = "{{.*}}", message = "y must be small", status = 2 : i32}]
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: %[[NONE1:.*]] = arith.cmpi eq, %[[ZERO]], %[[ZERO]] : i32
// CHECK: %[[FIRST1:.*]] = arith.select %[[NONE1]], %[[ONE]], %[[ZERO]] : i32
// CHECK: %[[S1:.*]] = arith.select %[[OK1:.*]], %[[ZERO]], %[[FIRST1]] : i32
// CHECK: %[[TWO:.*]] = arith.constant 2 : i32
// CHECK: %[[NONE2:.*]] = arith.cmpi eq, %[[S1]], %[[ZERO]] : i32
// CHECK: %[[FIRST2:.*]] = arith.select %[[NONE2]], %[[TWO]], %[[S1]] : i32
// CHECK: %[[S2:.*]] = arith.select %[[OK2:.*]], %[[S1]], %[[FIRST2]] : i32
// CHECK-NOT: cf.assert
// CHECK: return %[[S2]] : i32
func.func @main(%in: memref<2xf32>, %out: memref<2xf32>, %arena: memref<0xi8>) attributes {sieve.entry} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %ten = arith.constant 10.0 : f32
  %x = memref.load %in[%c0] : memref<2xf32>
  %ok1 = arith.cmpf oge, %x, %zero : f32
  cf.assert %ok1, "x must not be negative"
  %y = memref.load %in[%c1] : memref<2xf32>
  %ok2 = arith.cmpf olt, %y, %ten : f32
  cf.assert %ok2, "y must be small"
  memref.copy %in, %out : memref<2xf32> to memref<2xf32>
  return
}

// -----

func.func @main(%in: memref<4xi32>, %out: memref<4xi32>, %arena: memref<0xi8>) attributes {sieve.entry} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %in[%i] : memref<4xi32>
    %ok = arith.cmpi sge, %v, %v : i32
    // expected-error @+1 {{this run-time check sits inside a loop or a branch; Sieve turns only top-level checks into the entry point's status (drop checks with --asserts=drop)}}
    cf.assert %ok, "in a loop"
  }
  return
}
