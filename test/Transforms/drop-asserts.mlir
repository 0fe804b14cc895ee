// RUN: sieve-opt %s -sieve-drop-asserts -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func @forward
// CHECK-NOT: cf.assert
func.func @forward(%x: tensor<4xf32>, %ok: i1) -> tensor<4xf32> {
  // expected-remark @+1 {{run-time check dropped: "training is not supported for now"}}
  cf.assert %ok, "training is not supported for now"
  return %x : tensor<4xf32>
}
