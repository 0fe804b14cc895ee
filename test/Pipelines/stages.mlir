// Each stage is a registered pipeline; chaining them is the whole pipeline.
// RUN: sieve-opt %s -sieve-import-pipeline | FileCheck %s --check-prefix=IMPORT
// RUN: sieve-opt %s -sieve-import-pipeline -sieve-lower-tosa-pipeline | FileCheck %s --check-prefix=TOSA
// RUN: sieve-opt %s -sieve-import-pipeline -sieve-lower-tosa-pipeline -sieve-fuse-pipeline -sieve-bufferize-pipeline | FileCheck %s --check-prefix=BUF
// RUN: sieve-opt %s -sieve-import-pipeline -sieve-lower-tosa-pipeline -sieve-fuse-pipeline -sieve-bufferize-pipeline -sieve-plan-memory-pipeline=name=net | FileCheck %s --check-prefix=PLAN
// RUN: sieve-opt %s -sieve-import-pipeline -sieve-lower-tosa-pipeline -sieve-fuse-pipeline -sieve-bufferize-pipeline -sieve-plan-memory-pipeline=name=net -sieve-lower-to-llvm-pipeline > %t.staged.mlir
// RUN: sieve-opt %s -pass-pipeline='builtin.module(sieve-compile-pipeline{name=net})' > %t.whole.mlir
// RUN: diff %t.staged.mlir %t.whole.mlir

// IMPORT: func.func @main({{.*}}) {{.*}}attributes {sieve.entry, sieve.inputs = [{name = "in0", zero_point = -128 : i64}], sieve.outputs = [{name = "out0", zero_point = 3 : i64}]}
// IMPORT-NOT: func.func private @helper
// TOSA-NOT: tosa.
// TOSA: linalg.
// BUF: func.func @main(%{{.*}}: memref<1x4x4x2xi8>, %{{.*}}: memref<1x4x4x2xi8>)
// BUF-NOT: memref.copy
// PLAN: func.func @net_run(%{{.*}}: memref<1x4x4x2xi8>, %{{.*}}: memref<1x4x4x2xi8>, %{{.*}}: memref<{{[0-9]+}}xi8>) -> i32
// PLAN-NOT: memref.alloc
func.func private @helper(%x: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.rescale %x, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x4x4x2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
  return %0 : tensor<1x4x4x2xi8>
}
func.func @main(%x: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %r = tosa.rescale %x, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x4x4x2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
  %h = call @helper(%r) : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8>
  return %h : tensor<1x4x4x2xi8>
}
