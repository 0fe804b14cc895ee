// The lut kernel per target, K = 261, N = 3, M = 2.
// RUN: sieve-opt %s -sieve-select-ternary-kernel="target=x86-64-avx2 kernel=lut" -sieve-lower-ternary=target=x86-64-avx2 | FileCheck %s --check-prefixes=CHECK,X86
// RUN: sieve-opt %s -sieve-select-ternary-kernel="target=aarch64 kernel=lut" -sieve-lower-ternary=target=aarch64 | FileCheck %s --check-prefixes=CHECK,A64
// RUN: sieve-opt %s -sieve-select-ternary-kernel="target=cortex-m4 kernel=lut" -sieve-lower-ternary=target=cortex-m4 | FileCheck %s --check-prefixes=CHECK,MCU

// CHECK-LABEL: func @lut
// CHECK-NOT: tern.
// x86: one tile of 32 channels, 66 bytes of 4 weights each (K = 261 padded
// to 264), tables of 132 pairs x 2 planes x 32 lanes per token.
// X86: arith.constant dense<{{.*}}> : tensor<1x66x32xi8>
// X86: tensor.empty() : tensor<132x2x32xi8>
// X86: vector.from_elements {{.*}} : vector<32xi8>
// X86-COUNT-4: llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"
// X86: vector.shuffle {{.*}} [0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39, 16, 48,
// X86: arith.extsi {{.*}} : vector<16xi16> to vector<16xi32>
// X86: tensor.extract_slice {{.*}} [2, 3] [1, 1] : tensor<2x32xi32> to tensor<2x3xi32>
// A64: arith.constant dense<{{.*}}> : tensor<1x66x16xi8>
// A64: tensor.empty() : tensor<132x2x16xi8>
// A64-COUNT-4: llvm.call_intrinsic "llvm.aarch64.neon.tbl1.v16i8"
// A64: vector.shuffle {{.*}} [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23]
// A64: arith.extsi {{.*}} : vector<8xi16> to vector<8xi32>
// Cortex-M4: t5 bytes (53 per row) index tables of 8 x 243 int16 sums.
// MCU: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<3x53xi8>
// MCU: tensor.empty() : tensor<1944xi16>
// MCU: tensor.insert {{.*}} : tensor<1944xi16>
// MCU: tensor.extract %[[W]]
// MCU: arith.extui {{.*}} : i8 to i32
// MCU: tensor.extract {{.*}} : tensor<1944xi16>
// MCU-NOT: llvm.call_intrinsic
func.func @lut(%x: tensor<2x261xi8>) -> tensor<2x3xi32> {
  %y = tern.matmul %x weights(dense<1> : tensor<3x261xi8>) : tensor<2x261xi8> -> tensor<2x3xi32>
  return %y : tensor<2x3xi32>
}

// A layer of 300 channels on a CPU: two tasks of 128 channels for the
// parallel-for hook, the last 44 after them; none on an MCU.
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=x86-64-avx2 -sieve-lower-ternary=target=x86-64-avx2 | FileCheck %s --check-prefix=PAR
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=cortex-m55 -sieve-lower-ternary=target=cortex-m55 | FileCheck %s --check-prefix=SERIAL
// PAR-LABEL: func @wide
// PAR: scf.forall (%[[T:.*]]) in (2) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<1x300xi32>)
// PAR: tensor.empty() : tensor<1x128xi32>
// PAR: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// PAR: tensor.parallel_insert_slice {{.*}} [1, 128] [1, 1] : tensor<1x128xi32> into tensor<1x300xi32>
// PAR: } {sieve.parallel}
// PAR: scf.for %{{.*}} = %c256 to
// SERIAL-LABEL: func @wide
// SERIAL-NOT: scf.forall
func.func @wide(%x: tensor<1x128xi8>) -> tensor<1x300xi32> {
  %y = tern.matmul %x weights(dense<-1> : tensor<300x128xi8>) : tensor<1x128xi8> -> tensor<1x300xi32>
  return %y : tensor<1x300xi32>
}
